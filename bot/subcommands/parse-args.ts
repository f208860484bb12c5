import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';

export interface FlagSpec {
  /** Key in the parsed object (e.g. --mem → memoryGiB). */
  key: string;
  /** A switch without a value (e.g. --dry-run). */
  boolean?: boolean;
}

export interface ArgsSpec<S extends z.ZodType> {
  /** Positional argument keys, in order. Extra positionals are an error. */
  positionals: readonly string[];
  /** Flags by their spelling without dashes: { cpu: { key: 'cpu' }, mem: { key: 'memoryGiB' } }. */
  flags: Readonly<Record<string, FlagSpec>>;
  schema: S;
  /** Shown after a problem, e.g. "/tispace create <name> [--cpu N]". */
  usage: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A whole number given as text; the label names the input in the message. */
export const wholeNumber = (label: string, min = 0) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `${label} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min, `${label} must be at least ${min}`);

/**
 * Parses `--flag value`, `--flag=value`, boolean switches and positionals, then validates the result with
 * the spec's zod schema. Messages name the input that was wrong and what is allowed.
 */
export function parseArgs<S extends z.ZodType>(
  tokens: readonly string[],
  spec: ArgsSpec<S>,
): ParseResult<z.output<S>> {
  const raw: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const flagNames = Object.keys(spec.flags);
  const allowed = flagNames.length ? flagNames.map((f) => `--${f}`).join(', ') : 'none';
  const labelOf = new Map<string, string>(spec.positionals.map((p) => [p, `<${p}>`]));
  for (const [flag, s] of Object.entries(spec.flags))
    if (!labelOf.has(s.key)) labelOf.set(s.key, `--${flag}`);
  const problem = (message: string): ParseResult<never> => ({
    ok: false,
    message: `${message}\nUsage: \`${spec.usage}\``,
  });

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    // Slack turns "--" into an em dash on some clients; accept it as the flag prefix.
    const flagMatch = /^(?:--|\u2014|\u2013)([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(token);
    if (!flagMatch) {
      positionals.push(token);
      continue;
    }
    const name = flagMatch[1]!.toLowerCase();
    const flag = spec.flags[name];
    if (!flag) {
      const guess = didYouMean(name, flagNames);
      return problem(
        `unknown option \`--${name}\`${guess ? ` — did you mean \`--${guess}\`?` : '.'} Options here: ${allowed}`,
      );
    }
    if (flag.key in raw) return problem(`\`--${name}\` is given twice`);
    if (flag.boolean) {
      if (flagMatch[2] !== undefined) return problem(`\`--${name}\` takes no value`);
      raw[flag.key] = true;
      continue;
    }
    let value = flagMatch[2];
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || /^--/.test(next)) return problem(`\`--${name}\` needs a value`);
      value = next;
      i++;
    }
    raw[flag.key] = value;
  }

  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).join(' ');
    return problem(`unexpected \`${extra.slice(0, 80)}\``);
  }
  spec.positionals.forEach((key, i) => {
    const value = positionals[i];
    if (value !== undefined) raw[key] = value;
  });

  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const messages = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const label = labelOf.get(key) ?? key;
    if (issue.code === 'invalid_type' && raw[key] === undefined) return `${label} is required`;
    const given = raw[key];
    return `${issue.message}${typeof given === 'string' ? `; got "${given.slice(0, 40)}"` : ''}`;
  });
  return problem([...new Set(messages)].join('; '));
}

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { fail, ok, type Result } from '../errors.ts';
import { configSchema, type TiSpaceConfig } from './schema.ts';

/** One line per problem: `images.0.snapshot: must be lowercase …`. */
function formatConfigIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/**
 * Settings that existed once and were taken out: a config that still sets one is refused with what to do
 * instead (silently ignoring it would leave the operator believing it still applies).
 */
const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  sshServiceType:
    'sshServiceType was removed: machines are reached through the SSH gateway; set gateway.host and gateway.port instead',
};

/** One line per removed setting the raw config still has, and the config without them. */
function removedSettings(raw: unknown): { problems: string[]; rest: unknown } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [], rest: raw };
  const rest: Record<string, unknown> = { ...raw };
  const problems: string[] = [];
  for (const [key, message] of Object.entries(REMOVED_SETTINGS))
    if (key in rest) {
      problems.push(`${key}: ${message}`);
      delete rest[key];
    }
  return { problems, rest };
}

/** Validates a parsed config object; semantic checks zod cannot express are added here. */
export function parseConfig(raw: unknown, overrides: { namespace?: string } = {}): Result<TiSpaceConfig> {
  const removed = removedSettings(raw ?? {});
  const parsed = configSchema.safeParse(removed.rest);
  if (!parsed.success || removed.problems.length)
    return fail(
      'InvalidInput',
      [...removed.problems, ...(parsed.success ? [] : formatConfigIssues(parsed.error.issues))].join('\n'),
    );
  const config = parsed.data;
  if (overrides.namespace) config.namespace = overrides.namespace;
  const problems: string[] = [];
  if (config.policy.defaultLease > config.policy.maxLease)
    problems.push('policy.defaultLease: must not exceed policy.maxLease');
  const names = new Set<string>();
  config.images.forEach((image, i) => {
    if (names.has(image.name)) problems.push(`images.${i}.name: "${image.name}" is listed twice`);
    names.add(image.name);
    if (image.minDiskGiB > image.defaultDiskGiB)
      problems.push(`images.${i}.minDiskGiB: must not exceed images.${i}.defaultDiskGiB`);
  });
  return problems.length ? fail('InvalidInput', problems.join('\n')) : ok(config);
}

/** Loads TISPACE_CONFIG (YAML); no file means the built-in defaults. */
export function loadConfig(
  path: string | undefined,
  overrides: { namespace?: string } = {},
): Result<TiSpaceConfig> {
  if (!path) return parseConfig({}, overrides);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail('InvalidInput', `TISPACE_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    return fail('InvalidInput', `TISPACE_CONFIG: ${path} is not valid YAML: ${(error as Error).message}`);
  }
  const result = parseConfig(raw, overrides);
  return result.ok ? result : fail('InvalidInput', `TISPACE_CONFIG ${path}:\n${result.error.message}`);
}

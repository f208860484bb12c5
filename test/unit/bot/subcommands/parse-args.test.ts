import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseArgs, wholeNumber } from '../../../../bot/subcommands/parse-args.ts';
import { tokenize } from '../../../../bot/subcommands/tokenize.ts';

const spec = {
  positionals: ['name'],
  flags: {
    cpu: { key: 'cpu' },
    mem: { key: 'memoryGiB' },
    lease: { key: 'lease' },
    'dry-run': { key: 'dryRun', boolean: true },
  },
  schema: z.object({
    name: z.string({ message: 'a name is required' }),
    cpu: wholeNumber('--cpu', 1).optional(),
    memoryGiB: wholeNumber('--mem', 1).optional(),
    lease: z.string().optional(),
    dryRun: z.boolean().optional(),
  }),
  usage: '/tispace create <name> [--cpu N]',
};

const tokens = (text: string) => {
  const t = tokenize(text);
  if (!t.ok) throw new Error(t.message);
  return t.tokens;
};

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted parts together (straight and typographic quotes)', () => {
    expect(tokens('  create  web1 --lease "3 d" ')).toEqual(['create', 'web1', '--lease', '3 d']);
    expect(tokens("key remove 'my laptop'")).toEqual(['key', 'remove', 'my laptop']);
    expect(tokens('key remove \u201Cmy laptop\u201D')).toEqual(['key', 'remove', 'my laptop']);
    expect(tokens('a "" b')).toEqual(['a', '', 'b']);
    expect(tokens('')).toEqual([]);
  });

  it("undoes Slack's escaping: entities decoded, links unwrapped, mentions kept for the commands", () => {
    expect(tokens('admin quota <@U0ALICE|alice> --cpu 4')).toEqual([
      'admin',
      'quota',
      '<@U0ALICE|alice>',
      '--cpu',
      '4',
    ]);
    expect(tokens('key add ssh-ed25519 AAAA ada&amp;bob&lt;laptop&gt;')).toEqual([
      'key',
      'add',
      'ssh-ed25519',
      'AAAA',
      'ada&bob<laptop>',
    ]);
    expect(tokens('x <https://example.com/a?b=1&amp;c=2|example.com/a>')).toEqual([
      'x',
      'https://example.com/a?b=1&c=2',
    ]);
  });

  it('reports an unclosed quote', () => {
    expect(tokenize('create "web1')).toEqual({ ok: false, message: 'a quote is not closed (missing ")' });
  });
});

describe('parseArgs', () => {
  it('reads positionals, --flag value, --flag=value, switches and em-dash flags', () => {
    expect(parseArgs(tokens('web1 --cpu 4 --mem=16 --dry-run'), spec)).toEqual({
      ok: true,
      value: { name: 'web1', cpu: 4, memoryGiB: 16, dryRun: true },
    });
    expect(parseArgs(['web1', '\u2014cpu', '2'], spec)).toEqual({
      ok: true,
      value: { name: 'web1', cpu: 2 },
    });
    expect(parseArgs(tokens('--lease=3d web1'), spec)).toEqual({
      ok: true,
      value: { name: 'web1', lease: '3d' },
    });
  });

  it('names the problem, the allowed options and the usage', () => {
    const unknown = parseArgs(tokens('web1 --cpus 4'), spec);
    expect(unknown).toEqual({
      ok: false,
      message:
        'unknown option `--cpus` — did you mean `--cpu`? Options here: --cpu, --mem, --lease, --dry-run\nUsage: `/tispace create <name> [--cpu N]`',
    });
    const bad = parseArgs(tokens('web1 --cpu four'), spec);
    expect(bad.ok === false && bad.message).toMatch(/^--cpu must be a whole number; got "four"/);
    const zero = parseArgs(tokens('web1 --cpu 0'), spec);
    expect(zero.ok === false && zero.message).toMatch(/^--cpu must be at least 1; got "0"/);
    const missing = parseArgs([], spec);
    expect(missing.ok === false && missing.message).toMatch(/^<name> is required/);
    const noValue = parseArgs(tokens('web1 --cpu'), spec);
    expect(noValue.ok === false && noValue.message).toMatch(/^`--cpu` needs a value/);
    const flagAsValue = parseArgs(tokens('web1 --cpu --mem 4'), spec);
    expect(flagAsValue.ok === false && flagAsValue.message).toMatch(/^`--cpu` needs a value/);
    const twice = parseArgs(tokens('web1 --cpu 1 --cpu 2'), spec);
    expect(twice.ok === false && twice.message).toMatch(/given twice/);
    const extra = parseArgs(tokens('web1 web2'), spec);
    expect(extra.ok === false && extra.message).toMatch(/^unexpected `web2`/);
    const switchValue = parseArgs(tokens('web1 --dry-run=yes'), spec);
    expect(switchValue.ok === false && switchValue.message).toMatch(/takes no value/);
  });
});

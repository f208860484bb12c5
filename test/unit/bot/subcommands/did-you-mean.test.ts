import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from '../../../../bot/subcommands/did-you-mean.ts';

const SUBS = [
  'create',
  'list',
  'info',
  'ssh',
  'stop',
  'start',
  'extend',
  'delete',
  'restore',
  'key',
  'quota',
  'images',
  'help',
];

describe('levenshtein', () => {
  it('counts inserts, deletes, substitutions and adjacent swaps as one edit each', () => {
    expect(levenshtein('list', 'list')).toBe(0);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('lst', 'list')).toBe(1);
    expect(levenshtein('lisst', 'list')).toBe(1);
    expect(levenshtein('lust', 'list')).toBe(1);
    expect(levenshtein('lsit', 'list')).toBe(1);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
  });
});

describe('didYouMean', () => {
  it('suggests the closest subcommand for a typo', () => {
    expect(didYouMean('lsit', SUBS)).toBe('list');
    expect(didYouMean('creat', SUBS)).toBe('create');
    expect(didYouMean('delte', SUBS)).toBe('delete');
    expect(didYouMean('STOP', SUBS)).toBe('stop');
    expect(didYouMean('ext', SUBS)).toBe('extend');
    expect(didYouMean('restor', SUBS)).toBe('restore');
  });

  it('suggests nothing for input that resembles nothing', () => {
    expect(didYouMean('banana', SUBS)).toBeUndefined();
    expect(didYouMean('', SUBS)).toBeUndefined();
    expect(didYouMean('xyzzy', SUBS)).toBeUndefined();
  });
});

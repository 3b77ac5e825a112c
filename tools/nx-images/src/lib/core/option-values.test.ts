import { describe, expect, it } from 'vitest';
import { isDryRun, nonEmpty } from './option-values';

describe('nonEmpty', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['\t\n', undefined],
    ['main', 'main'],
    ['  main  ', 'main'],
    ['a b', 'a b'],
    ['-leading-dash', '-leading-dash'],
    ['ünïcødé', 'ünïcødé'],
  ])('%j -> %j', (value, expected) => {
    expect(nonEmpty(value)).toBe(expected);
  });
});

describe('isDryRun', () => {
  it.each<[boolean | undefined, Record<string, string>, boolean]>([
    [undefined, {}, false],
    [false, {}, false],
    [true, {}, true],
    [undefined, { NX_DRY_RUN: 'true' }, true],
    [false, { NX_DRY_RUN: 'true' }, true],
    [undefined, { NX_DRY_RUN: 'false' }, false],
    [undefined, { NX_DRY_RUN: '1' }, false],
    [undefined, { NX_DRY_RUN: 'TRUE' }, false],
    [true, { NX_DRY_RUN: 'false' }, true],
  ])('option %j, env %j -> %j', (option, env, expected) => {
    expect(isDryRun(option, env)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { envFlag } from './env-flag';
import { UserError } from '../errors';

describe('envFlag', () => {
  it.each<[string | undefined, boolean, boolean]>([
    [undefined, false, false],
    [undefined, true, true],
    ['', false, false],
    ['  ', true, true],
    ['true', false, true],
    ['TRUE', false, true],
    [' yes ', false, true],
    ['1', false, true],
    ['false', true, false],
    ['No', true, false],
    ['0', true, false],
  ])('%j (unset means %s) is %s', (value, fallback, expected) => {
    expect(envFlag('X', value, fallback)).toBe(expected);
  });

  it.each(['ture', 'y', 'on', '2', 'true;rm'])('refuses %j in one line naming the variable', (value) => {
    const call = () => envFlag('RELEASE_ALLOW_UNTESTED', value);
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining({ subject: 'RELEASE_ALLOW_UNTESTED', problem: `${JSON.stringify(value)} is neither true nor false`, fix: 'set it to true or false, or leave it unset (false)' }));
  });
});

import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors';
import { resolveBuildTime } from './build-time';

const NOON = new Date('2026-06-30T12:00:59Z');
const clock = () => NOON;

describe('resolveBuildTime', () => {
  it.each<[string, string | undefined, Record<string, string>, string]>([
    ['the clock, when nothing is given', undefined, {}, NOON.toISOString()],
    ['--buildTime wins over the clock and IMAGE_BUILD_TIME', '2026-07-01T00:30:00+02:00', { IMAGE_BUILD_TIME: '2020-01-01T00:00:00Z' }, '2026-06-30T22:30:00.000Z'],
    ['IMAGE_BUILD_TIME wins over the clock', undefined, { IMAGE_BUILD_TIME: '2020-01-01T00:00:00Z' }, '2020-01-01T00:00:00.000Z'],
    ['a blank option falls through to IMAGE_BUILD_TIME', '  ', { IMAGE_BUILD_TIME: ' 2020-01-01T00:00Z ' }, '2020-01-01T00:00:00.000Z'],
    ['a blank IMAGE_BUILD_TIME falls through to the clock', undefined, { IMAGE_BUILD_TIME: '' }, NOON.toISOString()],
    ['fractions of a second', '2026-06-30T12:00:00.250-05:00', {}, '2026-06-30T17:00:00.250Z'],
  ])('%s', (_case, option, env, iso) => {
    expect(resolveBuildTime(option, env, clock).toISOString()).toBe(iso);
  });

  it.each<[string, string | undefined, Record<string, string>, string, string]>([
    ['a build time with no zone', '2026-06-30T12:00', {}, '--buildTime', '"2026-06-30T12:00"'],
    ['an IMAGE_BUILD_TIME that is no time', undefined, { IMAGE_BUILD_TIME: 'yesterday' }, 'IMAGE_BUILD_TIME', '"yesterday"'],
    ['a date alone', '2026-06-30', {}, '--buildTime', '"2026-06-30"'],
    ['a day that is no day', '2026-02-31T25:00:00Z', {}, '--buildTime', '"2026-02-31T25:00:00Z"'],
  ])('refuses %s in one line naming where it came from', (_case, option, env, subject, given) => {
    const call = () => resolveBuildTime(option, env, clock);
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining({ subject, problem: `${given} is not an ISO 8601 time with a zone`, fix: 'give one like 2026-06-30T12:00:00Z' }));
  });
});

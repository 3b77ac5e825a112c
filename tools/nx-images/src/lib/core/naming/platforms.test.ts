import { describe, expect, it } from 'vitest';
import { machinePlatform, missingPlatforms, parsePlatform, platformEntry, platformKey, platformOf } from './platforms';

describe('parsePlatform', () => {
  it.each<[string, ReturnType<typeof parsePlatform>]>([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['arm64', undefined],
    ['linux/', undefined],
    ['-linux/amd64', undefined],
    ['linux/amd64/v8/x', undefined],
    ['Linux/AMD64', undefined],
    ['linux/amd64; rm -rf /', undefined],
  ])('%s', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });
});

describe('machinePlatform', () => {
  it.each([
    ['x64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
    ['ppc64', 'linux/ppc64le'],
    ['riscv64', 'linux/riscv64'],
  ])('%s -> %s', (arch, expected) => {
    expect(machinePlatform(arch)).toBe(expected);
  });
});

describe('platformKey and platformOf', () => {
  it.each([
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['linux/amd64', 'linux/amd64'],
    ['not a platform', 'not a platform'],
  ])('%s -> %s', (text, key) => {
    expect(platformKey(text)).toBe(key);
  });
  it('writes a manifest entry\'s platform as Docker does', () => {
    expect(platformOf({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(platformOf({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});

describe('missingPlatforms: an image builds for fewer platforms than its base, never more', () => {
  it.each<[string, string[], string[], string[]]>([
    ['the same two', ['linux/amd64', 'linux/arm64'], ['linux/amd64', 'linux/arm64'], []],
    ['fewer', ['linux/arm64'], ['linux/amd64', 'linux/arm64'], []],
    ['one more', ['linux/amd64', 'linux/arm64'], ['linux/amd64'], ['linux/arm64']],
    ['arm64 and arm64/v8 are one', ['linux/arm64/v8'], ['linux/arm64'], []],
    ['the default image on a two-platform base', [], ['linux/amd64', 'linux/arm64'], []],
    ['a base of the runner\'s own platform: unknown here', ['linux/arm64'], [], []],
    ['another variant is another platform', ['linux/arm/v6'], ['linux/arm/v7'], ['linux/arm/v6']],
  ])('%s', (_case, wanted, base, missing) => {
    expect(missingPlatforms(wanted, base)).toEqual(missing);
  });
});

describe('platformEntry', () => {
  const index = {
    manifests: [
      { digest: 'sha256:a', platform: { os: 'linux', architecture: 'amd64' } },
      { digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: 'sha256:c', platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it.each<[string, unknown, string, string | undefined]>([
    ['amd64', index, 'linux/amd64', 'sha256:a'],
    ['arm64 without its variant', index, 'linux/arm64', 'sha256:b'],
    ['arm64/v8', index, 'linux/arm64/v8', 'sha256:b'],
    ['a platform it lacks', index, 'linux/s390x', undefined],
    ['not an index', { layers: [] }, 'linux/amd64', undefined],
    ['null', null, 'linux/amd64', undefined],
    ['not a platform', index, 'amd64', undefined],
  ])('%s', (_case, given, platform, expected) => {
    expect(platformEntry(given, platform)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { detectPlatforms } from './platforms';

describe('detectPlatforms', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['build-push-action\'s platforms', { '.github/workflows/build.yml': '      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/amd64,linux/arm64\n' }, ['linux/amd64', 'linux/arm64']],
    ['a --platform flag', { '.github/workflows/b.yml': '      - run: docker buildx build --platform linux/arm64/v8,linux/amd64 .\n' }, ['linux/amd64', 'linux/arm64']],
    ['docker-stacks\' platform jobs', { '.github/workflows/docker.yml': '    with:\n      platform: aarch64\n      runs-on: ubuntu-24.04-arm\n---\n    with:\n      platform: x86_64\n' }, ['linux/amd64', 'linux/arm64']],
    ['a matrix of platforms', { '.github/workflows/m.yml': '      matrix:\n        platform: [amd64, arm64]\n' }, ['linux/amd64', 'linux/arm64']],
    ['one platform: the default', { '.github/workflows/one.yml': '          platforms: linux/amd64\n' }, []],
    ['a platform in a comment only', { '.github/workflows/c.yml': '# platforms: linux/amd64,linux/arm64 some day\n' }, []],
    ['a platform word off a platform line', { '.github/workflows/d.yml': '      - run: echo aarch64 x86_64\n' }, []],
    ['no workflow', {}, []],
  ])('%s', (_case, workflows, platforms) => {
    expect(detectPlatforms(workflows).platforms).toEqual(platforms);
  });

  it('says where the platforms come from, or why the default stays', () => {
    expect(detectPlatforms({ '.github/workflows/docker.yml': 'platform: aarch64\nplatform: x86_64\n' }).from).toBe('the workflows build for linux/amd64, linux/arm64 (.github/workflows/docker.yml)');
    expect(detectPlatforms({ 'a.yml': 'platforms: linux/amd64\n' }).from).toBe('the workflows build for linux/amd64 only: the default (the runner\'s own platform)');
    expect(detectPlatforms({}).from).toBe('no workflow names a platform: the default (the runner\'s own platform)');
  });
});

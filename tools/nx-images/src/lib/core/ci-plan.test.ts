import { describe, expect, it } from 'vitest';
import { buildRunArgs, parallelFrom, whyAffected, workspaceFilesIn } from './ci-plan';

describe('buildRunArgs', () => {
  const input = { images: ['tractor', 'base_image'], tag: 'feature-x', registry: 'ghcr.io', repository: 'o/n', defaultTag: 'main', push: true, parallel: 1 };
  it('builds the images with task dependencies excluded and every CI option', () => {
    expect(buildRunArgs(input).join(' ')).toBe(
      'run-many --targets=docker-build --projects=base_image,tractor --exclude-task-dependencies --parallel=1 --outputStyle=stream --registry=ghcr.io --repository=o/n --tag=feature-x --baseTagFallback=main --registryCache --forwardOnly --push',
    );
  });
  it('does not push when told not to', () => {
    expect(buildRunArgs({ ...input, push: false })).not.toContain('--push');
  });
  it('runs nothing for no image', () => {
    expect(buildRunArgs({ ...input, images: [] })).toEqual([]);
  });
});

describe('whyAffected', () => {
  it.each([
    [[{ kind: 'input-file', file: 'images/tractor/Dockerfile' }], 'changed: images/tractor/Dockerfile'],
    [
      [
        { kind: 'input-file', file: 'a' },
        { kind: 'input-file', file: 'b' },
        { kind: 'input-file', file: 'a' },
        { kind: 'input-file', file: 'c' },
        { kind: 'input-file', file: 'd' },
      ],
      'changed: a, b, c and 1 more',
    ],
    [[{ kind: 'project-added' }], 'affected (project-added)'],
    [[], 'affected'],
  ])('%j -> %j', (reasons, text) => {
    expect(whyAffected(reasons)).toBe(text);
  });
});

describe('workspaceFilesIn', () => {
  it('names the root files that affected any image', () => {
    expect(
      workspaceFilesIn({
        base_image: [{ kind: 'input-file', file: 'images/base_image/Dockerfile' }, { kind: 'input-file', file: 'nx.json' }],
        tractor: [{ kind: 'input-file', file: 'nx.json' }, { kind: 'input-file', file: 'package-lock.json' }],
      }),
    ).toEqual(['nx.json', 'package-lock.json']);
    expect(workspaceFilesIn({ base_image: [{ kind: 'input-file', file: 'images/base_image/x' }] })).toEqual([]);
  });
});

describe('parallelFrom', () => {
  it.each([[undefined, 1], ['', 1], ['2', 2], ['16', 16]])('%j -> %d', (value, n) => {
    expect(parallelFrom(value)).toBe(n);
  });
  it.each([['0'], ['-1'], ['two'], ['1.5'], ['100']])('refuses %j', (value) => {
    expect(() => parallelFrom(value)).toThrow(/BUILD_PARALLEL/);
  });
});

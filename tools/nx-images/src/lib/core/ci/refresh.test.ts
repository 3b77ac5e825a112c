import { describe, expect, it } from 'vitest';
import { movedBases, readOutsideLabel, refreshed, type MovedBase, type OutsideRecord } from './refresh';

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const IDX = `sha256:${'3'.repeat(64)}`;

describe('movedBases', () => {
  it.each<[string, OutsideRecord[], OutsideRecord[], string[]]>([
    ['the tag names another digest now', [{ reference: 'ubuntu:24.04', digest: OLD }], [{ reference: 'ubuntu:24.04', digest: NEW }], ['ubuntu:24.04']],
    ['the same digest: not moved', [{ reference: 'ubuntu:24.04', digest: OLD }], [{ reference: 'ubuntu:24.04', digest: OLD }], []],
    ['pinned by digest in the Dockerfile: never moved', [{ reference: 'os@x', digest: OLD, pinned: true }], [{ reference: 'os@x', digest: NEW }], []],
    ['an index whose other platform moved: not moved for this one', [{ reference: 'q.io/j/s:1', digest: IDX, platform: 'linux/amd64', platformDigest: OLD }], [{ reference: 'q.io/j/s:1', digest: NEW, platform: 'linux/amd64', platformDigest: OLD }], []],
    ['an index whose platform\'s manifest moved', [{ reference: 'q.io/j/s:1', digest: IDX, platformDigest: OLD }], [{ reference: 'q.io/j/s:1', digest: IDX, platformDigest: NEW }], ['q.io/j/s:1']],
    ['unreadable now: not said to have moved', [{ reference: 'ubuntu:24.04', digest: OLD }], [{ reference: 'ubuntu:24.04' }], []],
    ['recorded without a digest (not resolved then): not compared', [{ reference: 'ubuntu:24.04' }], [{ reference: 'ubuntu:24.04', digest: NEW }], []],
  ])('%s', (_name, recorded, now, expected) => {
    expect(movedBases('base', recorded, now).map((entry) => entry.reference)).toEqual(expected);
  });
});

describe('refreshed', () => {
  const graph = { images: ['base', 'app', 'tool', 'deep', 'other', 'pinned'], takesFrom: { base: [], app: ['base'], tool: ['base'], deep: ['app'], other: [], pinned: [] } };
  const moved: MovedBase[] = [{ image: 'base', reference: 'r/upstream/os:1', from: OLD, to: NEW }];
  it('the image whose outside base moved and everything built on it, in graph order, each with why', () => {
    expect(refreshed(graph, moved, true)).toEqual([
      { image: 'base', why: `outside image r/upstream/os:1 moved from ${OLD} to ${NEW}` },
      { image: 'app', why: 'built on base, which this refresh rebuilds' },
      { image: 'tool', why: 'built on base, which this refresh rebuilds' },
      { image: 'deep', why: 'built on app, which this refresh rebuilds' },
    ]);
  });
  it('only the images themselves when dependents are not asked for', () => {
    expect(refreshed(graph, moved, false).map((entry) => entry.image)).toEqual(['base']);
  });
  it('nothing when nothing moved', () => {
    expect(refreshed(graph, [], true)).toEqual([]);
  });
});

describe('readOutsideLabel', () => {
  it.each<[string | undefined, number]>([
    [undefined, 0],
    ['', 0],
    ['not json', 0],
    ['{"reference":"x"}', 0],
    ['[{"reference":"ubuntu:24.04","digest":"sha256:1"},{"nope":1}]', 1],
  ])('%j -> %d', (text, count) => {
    expect(readOutsideLabel(text)).toHaveLength(count);
  });
});

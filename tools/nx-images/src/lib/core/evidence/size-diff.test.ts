import { describe, expect, it } from 'vitest';
import { renderSizeDiff } from './inventory-diff-report';
import { diffIdsOf, diffSizes, imageSizeOf, platformManifestDigest, type ImageLayer } from './size-diff';

const d = (char: string) => `sha256:${char.repeat(64)}`;
const layer = (char: string, size: number, diffId?: string): ImageLayer => ({ digest: d(char), size, ...(diffId ? { diffId: d(diffId) } : {}) });
const image = (...layers: ImageLayer[]) => ({ total: 100 + layers.reduce((sum, entry) => sum + entry.size, 0), layers });

describe('platformManifestDigest', () => {
  it.each([
    ['linux/amd64 among others', { manifests: [{ digest: d('a'), platform: { os: 'linux', architecture: 'arm64' } }, { digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } }] }, d('b')],
    ['the first without amd64', { manifests: [{ digest: d('a'), platform: { os: 'linux', architecture: 'arm64' } }, { digest: d('b'), platform: { os: 'linux', architecture: 's390x' } }] }, d('a')],
    ['never an attestation manifest', { manifests: [{ digest: d('c'), platform: { os: 'unknown', architecture: 'unknown' } }, { digest: d('a'), platform: { os: 'linux', architecture: 'arm64' } }] }, d('a')],
    ['nothing of an empty index', { manifests: [] }, undefined],
    ['nothing of what is no index', 'not json', undefined],
  ])('%s', (_name, index, expected) => {
    expect(platformManifestDigest(index)).toBe(expected);
  });
});

describe('imageSizeOf', () => {
  it('counts the config and every layer, with the diff_ids by position', () => {
    const manifest = { config: { digest: d('c'), size: 50 }, layers: [{ digest: d('a'), size: 10 }, { digest: d('b'), size: 20 }] };
    expect(imageSizeOf(manifest, diffIdsOf({ rootfs: { diff_ids: [d('1'), d('2')] } }))).toEqual({ total: 80, layers: [layer('a', 10, '1'), layer('b', 20, '2')] });
    expect(imageSizeOf({ layers: [{ digest: d('a'), size: -1 }] })).toEqual({ total: 0, layers: [{ digest: d('a'), size: 0 }] });
    expect(diffIdsOf(null)).toEqual([]);
  });
});

describe('diffSizes', () => {
  it.each([
    ['the same image', [layer('a', 10), layer('b', 20)], [layer('a', 10), layer('b', 20)], [], 2],
    ['the top layer grew', [layer('a', 10), layer('b', 20)], [layer('a', 10), layer('c', 25)], [{ position: 2, kind: 'grew', delta: 5 }], 1],
    ['a middle layer shrank', [layer('a', 10), layer('b', 20), layer('e', 5)], [layer('a', 10), layer('c', 15), layer('e', 5)], [{ position: 2, kind: 'shrank', delta: -5 }], 2],
    ['a layer replaced at the same size', [layer('a', 10)], [layer('b', 10)], [{ position: 1, kind: 'replaced', delta: 0 }], 0],
    ['a layer added on top', [layer('a', 10)], [layer('a', 10), layer('b', 7)], [{ position: 2, kind: 'added', delta: 7 }], 1],
    ['a layer removed from the top', [layer('a', 10), layer('b', 7)], [layer('a', 10)], [{ position: 2, kind: 'removed', delta: -7 }], 1],
    ['a layer inserted below the others: they are unchanged, not replaced', [layer('a', 10), layer('b', 20)], [layer('x', 3), layer('a', 10), layer('b', 20)], [{ position: 1, kind: 'added', delta: 3 }], 2],
    ['an empty layer repeated', [layer('e', 0), layer('e', 0)], [layer('e', 0)], [{ position: 2, kind: 'removed', delta: 0 }], 1],
    ['the same content compressed anew matches by diff_id', [layer('a', 10, '1')], [layer('b', 11, '1')], [], 1],
  ])('%s', (_name, from, to, expected, unchanged) => {
    const diff = diffSizes(image(...from), image(...to));
    expect(diff.layers.map(({ position, kind, delta }) => ({ position, kind, delta }))).toEqual(expected);
    expect(diff.unchangedLayers).toBe(unchanged);
    expect(diff.delta).toBe(diff.to - diff.from);
  });
});

describe('renderSizeDiff', () => {
  it('gives the totals, then the layer that grew', () => {
    const lines = renderSizeDiff(diffSizes(image(layer('a', 1024), layer('b', 2048)), image(layer('a', 1024), layer('c', 6144))));
    expect(lines[0]).toBe('Size (compressed): 3.1 KiB → 7.1 KiB (+4.0 KiB); layers: 1 grew, 1 unchanged.');
    expect(lines).toContain(`| 2 | grew | 2.0 KiB \`${d('b').slice(0, 19)}\` | 6.0 KiB \`${d('c').slice(0, 19)}\` | +4.0 KiB |`);
    expect(renderSizeDiff(diffSizes(image(layer('a', 1)), image(layer('a', 1))))).toEqual(['Size (compressed): 101 B → 101 B (±0 B); no layer changed (1 unchanged).']);
  });
});

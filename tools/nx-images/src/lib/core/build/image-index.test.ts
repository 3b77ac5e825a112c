import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { configPlatform, imageIndex, imageManifest, indexPlatforms, OCI_INDEX, OCI_MANIFEST, type PlatformImage } from './image-index';

const amd: PlatformImage = { mediaType: OCI_MANIFEST, digest: `sha256:${'a'.repeat(64)}`, size: 500, platform: { os: 'linux', architecture: 'amd64' } };
const arm: PlatformImage = { mediaType: OCI_MANIFEST, digest: `sha256:${'b'.repeat(64)}`, size: 501, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } };

describe('imageIndex', () => {
  it('lists every platform in order, with its platform, and nothing else', () => {
    const index = JSON.parse(imageIndex([amd, arm]).toString('utf8')) as unknown;
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.digest, size: 500, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: arm.digest, size: 501, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    });
    expect(indexPlatforms(index)).toEqual([amd, arm]);
  });
  it('is the same bytes for the same images (so the same digest)', () => {
    expect(imageIndex([amd, arm]).equals(imageIndex([amd, arm]))).toBe(true);
  });
  it.each<[string, PlatformImage[], string]>([
    ['no image', [], 'no platform image to list'],
    ['one platform twice', [amd, { ...amd, digest: `sha256:${'c'.repeat(64)}` }], 'linux/amd64 is listed twice'],
    ['arm64 and arm64/v8', [arm, { ...arm, platform: { os: 'linux', architecture: 'arm64' } }], 'linux/arm64 is listed twice'],
  ])('refuses %s', (_case, images, problem) => {
    expect(() => imageIndex(images)).toThrow(UserError);
    expect(() => imageIndex(images)).toThrow(expect.objectContaining({ problem }));
  });
});

describe('configPlatform and indexPlatforms', () => {
  it.each<[string, unknown, ReturnType<typeof configPlatform>]>([
    ['amd64', { os: 'linux', architecture: 'amd64', config: {} }, { os: 'linux', architecture: 'amd64' }],
    ['arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['an empty variant', { os: 'linux', architecture: 'arm64', variant: '' }, { os: 'linux', architecture: 'arm64' }],
    ['no os', { architecture: 'amd64' }, undefined],
    ['null', null, undefined],
  ])('%s', (_case, config, expected) => {
    expect(configPlatform(config)).toEqual(expected);
  });
  it('leaves attestations and broken entries out of an index', () => {
    const index = { manifests: [amd, { ...arm, platform: { os: 'unknown', architecture: 'unknown' } }, { digest: 3 }, null] };
    expect(indexPlatforms(index)).toEqual([amd]);
    expect(indexPlatforms({ layers: [] })).toEqual([]);
  });
});

describe('imageManifest', () => {
  it('names the config and the layers in order', () => {
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 10 };
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'2'.repeat(64)}`, size: 20 };
    expect(JSON.parse(imageManifest(config, [layer]).toString('utf8'))).toEqual({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] });
  });
});

import { describe, expect, it } from 'vitest';
import { artifactManifest, describe as describeBytes, EMPTY_CONFIG, OCI_INDEX, OCI_MANIFEST, referrersIn, referrersTag, sha256, withReferrer } from './oci-artifact';

const SUBJECT = { mediaType: OCI_MANIFEST, digest: `sha256:${'a'.repeat(64)}`, size: 527 };
const TYPE = 'application/vnd.fornax.image-test.v1+json';

describe('artifactManifest', () => {
  it('is an OCI image manifest with the artifact type, the empty config, the files as layers and the image as subject', () => {
    const report = describeBytes('application/xml', Buffer.from('<testsuites/>'), { 'org.opencontainers.image.title': 'junit.xml' });
    const manifest = JSON.parse(artifactManifest({ artifactType: TYPE, subject: { ...SUBJECT, annotations: { ignored: 'yes' } }, layers: [report], annotations: { result: 'passed' } }).toString('utf8')) as Record<string, unknown>;
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_CONFIG.digest, size: 2 },
      layers: [report],
      subject: SUBJECT,
      annotations: { result: 'passed' },
    });
    expect(sha256(EMPTY_CONFIG.bytes)).toBe(EMPTY_CONFIG.digest);
  });

  it('gives the same bytes for the same evidence, so attaching twice writes one artifact', () => {
    const input = { artifactType: TYPE, subject: SUBJECT, layers: [] };
    expect(artifactManifest(input).equals(artifactManifest(input))).toBe(true);
    expect(JSON.parse(artifactManifest(input).toString('utf8'))).not.toHaveProperty('annotations');
  });
});

describe('referrersTag', () => {
  it('is the digest with its colon as a dash, as the OCI fallback tag schema says', () => {
    expect(referrersTag(SUBJECT.digest)).toBe(`sha256-${'a'.repeat(64)}`);
  });
});

describe('withReferrer and referrersIn', () => {
  const one = { mediaType: OCI_MANIFEST, digest: `sha256:${'1'.repeat(64)}`, size: 10, artifactType: TYPE };
  const two = { mediaType: OCI_MANIFEST, digest: `sha256:${'2'.repeat(64)}`, size: 11, artifactType: 'application/vnd.fornax.locks.v1' };

  it('starts an index, adds to it, and keeps each digest once', () => {
    const first = withReferrer(undefined, one);
    expect(JSON.parse(first.toString('utf8'))).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [one] });
    const both = withReferrer(first, two);
    expect(referrersIn(both)).toEqual([one, two]);
    expect(referrersIn(withReferrer(both, one))).toEqual([two, one]);
  });

  it('filters by artifact type', () => {
    const index = withReferrer(withReferrer(undefined, one), two);
    expect(referrersIn(index, TYPE)).toEqual([one]);
    expect(referrersIn(index, 'application/other')).toEqual([]);
  });

  it.each([
    ['not JSON', '{'],
    ['no manifests', '{"schemaVersion":2}'],
    ['entries that are no descriptors', '{"manifests":[{"digest":3},null,"x"]}'],
  ])('reads nothing from %s', (_case, body) => {
    expect(referrersIn(Buffer.from(body))).toEqual([]);
  });
});

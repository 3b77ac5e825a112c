import { describe, expect, it } from 'vitest';
import { dockerfileImages, replaceReads, substitute } from './dockerfile';

const contract = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
  'RUN true',
].join('\n');

describe('dockerfileImages: the final stage\'s base', () => {
  it.each([
    ['the contract with defaults', contract, {}, undefined, 'ghcr.io/nasa-fornax/fornax-images/base_image:main'],
    [
      'the contract with build args',
      contract,
      { REGISTRY: '127.0.0.1:5000', REPOSITORY: 'fornax/images', BASE_IMAGE_TAG: 'feature-x' },
      undefined,
      '127.0.0.1:5000/fornax/images/base_image:feature-x',
    ],
    ['an upstream image from an ARG', 'ARG UPSTREAM=quay.io/jupyter/base-notebook:2025-01-01\nFROM $UPSTREAM\n', {}, undefined, 'quay.io/jupyter/base-notebook:2025-01-01'],
    ['a default in the reference', 'ARG TAG\nFROM example.org/x:${TAG:-fallback}\n', {}, undefined, 'example.org/x:fallback'],
    ['a multi-stage build, last stage from an earlier one', 'FROM alpine:3 AS build\nRUN true\nFROM build AS final\n', {}, undefined, 'alpine:3'],
    ['a target stage', 'FROM alpine:3 AS a\nFROM debian:12 AS b\nFROM a\n', {}, 'b', 'debian:12'],
    ['a continued ARG line', 'ARG A=x \\\n  B=y\nFROM $A/$B\n', {}, undefined, 'x/y'],
    ['quoted ARG defaults', "ARG R=\"r.io\" P='o/n'\nFROM ${R}/${P}/img:1\n", {}, undefined, 'r.io/o/n/img:1'],
    ['a --platform flag', 'FROM --platform=$BUILDPLATFORM alpine:3\n', {}, undefined, 'alpine:3'],
  ])('%s', (_name, dockerfile, args, target, reference) => {
    expect(dockerfileImages(dockerfile, args, target).finalBase?.reference).toBe(reference);
  });

  it.each([
    ['FROM scratch\nCOPY x /x\n'],
    ['FROM scratch AS a\nFROM a\n'],
    ['# no FROM at all\n'],
  ])('no external base: %j', (dockerfile) => {
    expect(dockerfileImages(dockerfile, {}).finalBase).toBeUndefined();
  });

  it('returns undefined for a target stage that does not exist', () => {
    expect(dockerfileImages(contract, {}, 'nope').finalBase).toBeUndefined();
  });
});

const REAL_TREE = [
  'ARG BASE_TAG=latest',
  'ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images',
  '',
  'FROM ${REPOSITORY}/env-heasoft:${BASE_TAG} AS env_heasoft',
  'FROM ${REPOSITORY}/env-ciao:${BASE_TAG} AS env_ciao',
  'FROM --platform=linux/amd64 ${REPOSITORY}/fornax-base:${BASE_TAG}',
  'COPY --from=env_heasoft /opt/envs/heasoft /opt/envs/heasoft',
  'COPY --chown=1000:100 --from=${REPOSITORY}/env-fermi:${BASE_TAG} /opt/envs/fermi /opt/envs/fermi',
  'RUN --mount=type=bind,from=env_ciao,source=/opt/,target=/tmp/opt \\',
  '    --mount=type=bind,from=${REPOSITORY}/env-sas:${BASE_TAG},source=/opt/,target=/tmp/sas \\',
  '    --mount=type=cache,target=/root/.cache true',
  'COPY --from=0 /a /b',
  'COPY --from=quay.io/x/y:1 /c /d',
].join('\n');

describe('dockerfileImages: every image read', () => {
  it('finds FROM in every stage, COPY --from and RUN --mount from= that name images, not stages', () => {
    const { reads, finalBase, stages } = dockerfileImages(REAL_TREE, {});
    expect(reads.map((read) => [read.kind, read.reference, read.stage])).toEqual([
      ['from', 'ghcr.io/nasa-fornax/fornax-images/env-heasoft:latest', 0],
      ['from', 'ghcr.io/nasa-fornax/fornax-images/env-ciao:latest', 1],
      ['from', 'ghcr.io/nasa-fornax/fornax-images/fornax-base:latest', 2],
      ['copy', 'ghcr.io/nasa-fornax/fornax-images/env-fermi:latest', 2],
      ['mount', 'ghcr.io/nasa-fornax/fornax-images/env-sas:latest', 2],
      ['copy', 'quay.io/x/y:1', 2],
    ]);
    expect(finalBase?.reference).toBe('ghcr.io/nasa-fornax/fornax-images/fornax-base:latest');
    expect(stages).toEqual(['env_heasoft', 'env_ciao', undefined]);
  });

  it('gives the offsets of each reference as written', () => {
    const { reads } = dockerfileImages(REAL_TREE, {});
    expect(reads.map((read) => REAL_TREE.slice(read.start, read.end))).toEqual(reads.map((read) => read.written));
  });

  it.each([
    ['CRLF line ends', REAL_TREE.replace(/\n/g, '\r\n')],
    ['a continued FROM line', 'ARG R=r.io\nFROM \\\n  ${R}/a:1 AS a\nFROM ${R}/b:2\n'],
    ['an escape directive', '# escape=`\nARG R=r.io\nFROM ${R}/a:1 AS a\nRUN --mount=from=${R}/c:3 `\n  true\n'],
  ])('keeps offsets right with %s', (_case, dockerfile) => {
    const { reads } = dockerfileImages(dockerfile, {});
    expect(reads.length).toBeGreaterThan(1);
    for (const read of reads) expect(dockerfile.slice(read.start, read.end)).toBe(read.written);
  });

  it('build args win over ARG defaults, also in COPY --from and mounts', () => {
    const { reads } = dockerfileImages(REAL_TREE, { REPOSITORY: '127.0.0.1:5000/fornax/images', BASE_TAG: 'feature-x' });
    expect(reads.slice(0, 5).map((read) => read.reference)).toEqual(
      ['env-heasoft', 'env-ciao', 'fornax-base', 'env-fermi', 'env-sas'].map((image) => `127.0.0.1:5000/fornax/images/${image}:feature-x`),
    );
  });

  it.each([
    ['FROM a stage by a name in another case', 'FROM alpine:3 AS Build\nFROM build\n', ['alpine:3']],
    ['COPY --from a later stage by name', 'FROM alpine:3 AS a\nCOPY --from=b /x /x\nFROM debian:12 AS b\n', ['alpine:3', 'debian:12']],
    ['COPY --from a stage number', 'FROM alpine:3\nFROM debian:12\nCOPY --from=0 /x /x\n', ['alpine:3', 'debian:12']],
    ['COPY --from a number past the stages is an image', 'FROM alpine:3\nCOPY --from=7 /x /x\n', ['alpine:3', '7']],
    ['scratch is no image', 'FROM scratch\nCOPY --from=busybox:1 /bin/busybox /bin/busybox\n', ['busybox:1']],
    ['a quoted COPY --from', 'FROM scratch\nCOPY --from="r.io/x:1" /a /a\n', ['r.io/x:1']],
    ['instructions before any FROM are ignored', 'ARG X=1\nFROM scratch\n', []],
  ])('%s', (_case, dockerfile, references) => {
    expect(dockerfileImages(dockerfile, {}).reads.map((read) => read.reference)).toEqual(references);
  });
});

describe('replaceReads', () => {
  it('replaces each reference and leaves every other byte as it was', () => {
    const { reads } = dockerfileImages(REAL_TREE, {});
    const pinned = replaceReads(
      REAL_TREE,
      reads.slice(0, 5).map((read) => ({ read, text: `r.io/pinned/${read.kind}${read.stage}@sha256:${'a'.repeat(64)}` })),
    );
    const again = dockerfileImages(pinned, {}).reads.map((read) => read.reference);
    expect(again).toEqual([
      ...['from0', 'from1', 'from2', 'copy2', 'mount2'].map((name) => `r.io/pinned/${name}@sha256:${'a'.repeat(64)}`),
      'quay.io/x/y:1',
    ]);
    expect(pinned.split('\n').length).toBe(REAL_TREE.split('\n').length);
    expect(pinned).toContain('FROM --platform=linux/amd64 r.io/pinned/from2@');
    expect(pinned).toContain(' AS env_heasoft\n');
    expect(pinned).toContain('--mount=type=cache,target=/root/.cache true');
  });

  it('changes nothing with no replacement', () => {
    expect(replaceReads(REAL_TREE, [])).toBe(REAL_TREE);
  });
});

describe('substitute', () => {
  it.each([
    ['$A', { A: '1' }, '1'],
    ['${A}', { A: '1' }, '1'],
    ['${A:-d}', {}, 'd'],
    ['${A:-d}', { A: '' }, 'd'],
    ['${A-d}', { A: '' }, ''],
    ['${A:+alt}', { A: 'x' }, 'alt'],
    ['${A:+alt}', {}, ''],
    ['x$MISSING-y', {}, 'x-y'],
    ['$(touch /tmp/x)', {}, '$(touch /tmp/x)'],
  ])('%j with %j -> %j', (text, vars, out) => {
    expect(substitute(text, vars)).toBe(out);
  });
});

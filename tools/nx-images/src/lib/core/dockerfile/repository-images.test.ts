import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { buildArgValues, canonicalName, DEFAULT_BUILD_ARG_NAMES, repositoryImages, selfNamePrefix, type BuildArgNames } from './repository-images';

const REAL_NAMES: BuildArgNames = { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' };

const OURS = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
  'RUN true',
].join('\n');

const REAL = [
  'ARG BASE_TAG=latest',
  'ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images',
  'FROM ${REPOSITORY}/env-heasoft:${BASE_TAG} AS env_heasoft',
  'FROM ${REPOSITORY}/env-ciao:${BASE_TAG} AS env_ciao',
  'FROM ${REPOSITORY}/env-fermi:${BASE_TAG} AS env_fermi',
  'FROM ${REPOSITORY}/env-sas:${BASE_TAG} AS env_sas',
  'FROM ${REPOSITORY}/fornax-base:${BASE_TAG}',
  'RUN --mount=type=bind,from=env_heasoft,source=/opt/,target=/tmp/opt true',
  'COPY --from=${REPOSITORY}/env-ciao:${BASE_TAG} /opt/envs/ciao /opt/envs/ciao',
].join('\n');

describe('repositoryImages', () => {
  it('reads our convention: ${REGISTRY}/${REPOSITORY}/<image>:${BASE_IMAGE_TAG}', () => {
    const found = repositoryImages(OURS, DEFAULT_BUILD_ARG_NAMES);
    expect(found.images).toEqual(['base_image']);
    expect(found.finalBase).toMatchObject({ image: 'base_image', kind: 'from', followsBaseTag: true, stage: 0 });
  });

  it('reads the real tree: ${REPOSITORY}/<image>:${BASE_TAG}, every stage and COPY --from, each image once', () => {
    const found = repositoryImages(REAL, REAL_NAMES);
    expect(found.images).toEqual(['env-heasoft', 'env-ciao', 'env-fermi', 'env-sas', 'fornax-base']);
    expect(found.reads.map((read) => [read.image, read.kind])).toEqual([
      ['env-heasoft', 'from'],
      ['env-ciao', 'from'],
      ['env-fermi', 'from'],
      ['env-sas', 'from'],
      ['fornax-base', 'from'],
      ['env-ciao', 'copy'],
    ]);
    expect(found.finalBase?.image).toBe('fornax-base');
    expect(found.reads.every((read) => read.followsBaseTag)).toBe(true);
  });

  it('follows the target stage for the final base', () => {
    expect(repositoryImages(REAL, REAL_NAMES, 'env_ciao').finalBase?.image).toBe('env-ciao');
  });

  it.each<[string, string, BuildArgNames, string[]]>([
    ['an upstream image', 'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\n', DEFAULT_BUILD_ARG_NAMES, []],
    ['a literal reference to the same registry path', 'FROM ghcr.io/nasa-fornax/fornax-images/base_image:main\n', DEFAULT_BUILD_ARG_NAMES, []],
    ['the real convention read with our names', REAL, DEFAULT_BUILD_ARG_NAMES, []],
    ['our convention read with the real names', OURS, REAL_NAMES, []],
    ['a deeper path under the repository', 'FROM ${REGISTRY}/${REPOSITORY}/sub/image:${BASE_IMAGE_TAG}\n', DEFAULT_BUILD_ARG_NAMES, []],
    ['a name that is no image name', 'FROM ${REGISTRY}/${REPOSITORY}/Bad_Name:${BASE_IMAGE_TAG}\n', DEFAULT_BUILD_ARG_NAMES, []],
    ['args declared with no default', 'ARG REGISTRY\nARG REPOSITORY\nARG BASE_IMAGE_TAG\nFROM ${REGISTRY}/${REPOSITORY}/a:${BASE_IMAGE_TAG}\n', DEFAULT_BUILD_ARG_NAMES, ['a']],
    // docker build passes no undeclared arg to FROM: the reference would be "//a:", no image of ours.
    ['args never declared', 'FROM ${REGISTRY}/${REPOSITORY}/a:${BASE_IMAGE_TAG}\n', DEFAULT_BUILD_ARG_NAMES, []],
    ['$VAR without braces', 'ARG REGISTRY=r\nARG REPOSITORY=o/n\nARG BASE_IMAGE_TAG=main\nFROM $REGISTRY/$REPOSITORY/a:$BASE_IMAGE_TAG\n', DEFAULT_BUILD_ARG_NAMES, ['a']],
    ['an ARG derived from the repository arg', 'ARG REPOSITORY=x\nARG HERE=${REPOSITORY}/lib\nFROM ${HERE}:${BASE_TAG}\n', REAL_NAMES, ['lib']],
    ['scratch', 'FROM scratch\n', DEFAULT_BUILD_ARG_NAMES, []],
  ])('%s', (_case, dockerfile, names, images) => {
    expect(repositoryImages(dockerfile, names).images).toEqual(images);
  });

  it.each([
    ['a literal tag', 'FROM ${REPOSITORY}/a:v1.0\n'],
    ['a literal tag in the default of an arg naming the whole image', 'ARG A=${REPOSITORY}/a:v1.0\nFROM ${A}\n'],
    ['a digest', `FROM \${REPOSITORY}/a@sha256:${'0'.repeat(64)}\n`],
    ['a tag and a digest', `FROM \${REPOSITORY}/a:\${BASE_TAG}@sha256:${'0'.repeat(64)}\n`],
    ['a digest and no tag', `FROM \${REPOSITORY}/a@sha256:${'0'.repeat(64)}\n`],
  ])('an image with %s is read as written, not per branch', (_case, dockerfile) => {
    const [read] = repositoryImages(`ARG REPOSITORY=r/o/n\nARG BASE_TAG=main\n${dockerfile}`, REAL_NAMES).reads;
    expect(read).toMatchObject({ image: 'a', followsBaseTag: false, tagFrom: 'written' });
  });

  // docker-stacks' shape: ARG REGISTRY=quay.io, ARG OWNER=jupyter, ARG BASE_IMAGE=$REGISTRY/$OWNER/<base>, FROM $BASE_IMAGE.
  const STACKS: BuildArgNames = { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' };
  it.each<[string, string, BuildArgNames, 'base-tag-arg' | 'none' | 'unset-arg']>([
    ['no tag', 'ARG REPOSITORY=r/o/n\nFROM ${REPOSITORY}/a\n', REAL_NAMES, 'none'],
    ['no tag, through an arg naming the whole image (docker-stacks)', 'ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/a\nFROM $BASE_IMAGE\n', STACKS, 'none'],
    ['a tag arg the build does not set, with a default', 'ARG REPOSITORY=r/o/n\nARG TAG=latest\nFROM ${REPOSITORY}/a:${TAG}\n', REAL_NAMES, 'unset-arg'],
    ['a tag arg the build does not set, with no default', 'ARG REPOSITORY=r/o/n\nARG TAG\nFROM ${REPOSITORY}/a:${TAG}\n', REAL_NAMES, 'none'],
    ['a tag arg through an arg naming the whole image', 'ARG REPOSITORY=r/o/n\nARG TAG=latest\nARG A=${REPOSITORY}/a:${TAG}\nFROM $A\n', REAL_NAMES, 'unset-arg'],
    ['the base tag arg', 'ARG REPOSITORY=r/o/n\nARG BASE_TAG=main\nFROM ${REPOSITORY}/a:${BASE_TAG}\n', REAL_NAMES, 'base-tag-arg'],
    ['COPY --from with no tag', 'ARG REGISTRY=quay.io\nARG OWNER=jupyter\nFROM scratch\nCOPY --from=$REGISTRY/$OWNER/a /x /x\n', STACKS, 'none'],
  ])('an image with %s follows the branch rule', (_case, dockerfile, names, tagFrom) => {
    const [read] = repositoryImages(dockerfile, names).reads;
    expect(read).toMatchObject({ image: 'a', followsBaseTag: true, tagFrom });
  });

  it('a tag arg the build sets (a buildArgs option) is used as written', () => {
    const dockerfile = 'ARG REPOSITORY=r/o/n\nARG TAG=latest\nFROM ${REPOSITORY}/a:${TAG}\n';
    expect(repositoryImages(dockerfile, REAL_NAMES, undefined, 'Dockerfile', { TAG: 'v2' }).reads[0]).toMatchObject({ followsBaseTag: false, tagFrom: 'written' });
  });

  it('docker-stacks: the images read through ARG BASE_IMAGE, with no base tag arg', () => {
    const dockerfile = ['ARG REGISTRY=quay.io', 'ARG OWNER=jupyter', 'ARG BASE_IMAGE=$REGISTRY/$OWNER/scipy-notebook', 'FROM $BASE_IMAGE', 'RUN true'].join('\n');
    const found = repositoryImages(dockerfile, STACKS);
    expect(found.images).toEqual(['scipy-notebook']);
    expect(found.finalBase).toMatchObject({ image: 'scipy-notebook', written: '$BASE_IMAGE', followsBaseTag: true });
    expect(repositoryImages('ARG BASE_IMAGE=quay.io/jupyter/scipy-notebook\nFROM $BASE_IMAGE\n', STACKS).images).toEqual([]);
  });

  it('refuses a tag made from the base tag arg, naming the file and the fix', () => {
    const call = () => repositoryImages('ARG REPOSITORY\nARG BASE_TAG\nFROM ${REPOSITORY}/a:${BASE_TAG}-gpu\n', REAL_NAMES, undefined, 'images/x/Dockerfile');
    expect(call).toThrow(UserError);
    expect(call).toThrow('images/x/Dockerfile: ${REPOSITORY}/a:${BASE_TAG}-gpu makes a tag out of ${BASE_TAG}: write the tag as ${BASE_TAG} alone');
  });
});

describe('repositoryImages with selfNames: literal references to this repository\'s images', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  const HUB = ['owner/'];
  const GHCR = ['ghcr.io/owner/repo/'];
  const LITERAL = 'ARG BASE_TAG=master\n';
  it.each<[string, string, readonly string[], { image: string; tagFrom: string; followsBaseTag: boolean } | undefined]>([
    ['Docker Hub implied, tag from an arg', 'FROM owner/base-image:${BASE_TAG}', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['docker.io written', 'FROM docker.io/owner/base-image:${BASE_TAG}', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['index.docker.io written', 'FROM index.docker.io/owner/base-image:${BASE_TAG}', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['the host in capitals', 'FROM Docker.IO/owner/base-image:${BASE_TAG}', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['the self name written with docker.io', 'FROM owner/base-image:${BASE_TAG}', ['docker.io/owner'], { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['the self name written with index.docker.io', 'FROM docker.io/owner/base-image', ['index.docker.io/owner/'], { image: 'base-image', tagFrom: 'none', followsBaseTag: true }],
    ['no tag', 'FROM owner/base-image', HUB, { image: 'base-image', tagFrom: 'none', followsBaseTag: true }],
    ['a literal tag', 'FROM owner/base-image:2024.1', HUB, { image: 'base-image', tagFrom: 'written', followsBaseTag: false }],
    ['a digest', `FROM owner/base-image@${DIGEST}`, HUB, { image: 'base-image', tagFrom: 'written', followsBaseTag: false }],
    ['a tag from an arg and a digest', `FROM owner/base-image:\${BASE_TAG}@${DIGEST}`, HUB, { image: 'base-image', tagFrom: 'written', followsBaseTag: false }],
    ['written in full', 'FROM ghcr.io/owner/repo/base-image:${BASE_TAG}', GHCR, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['written in full, a literal tag', 'FROM ghcr.io/owner/repo/base-image:v1', GHCR, { image: 'base-image', tagFrom: 'written', followsBaseTag: false }],
    ['a registry with a port', 'FROM localhost:5000/owner/base-image', ['localhost:5000/owner/'], { image: 'base-image', tagFrom: 'none', followsBaseTag: true }],
    ['the whole name in an arg', 'ARG BASE=owner/base-image\nFROM ${BASE}:${BASE_TAG}', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['COPY --from', 'FROM scratch\nCOPY --from=owner/base-image:${BASE_TAG} /a /a', HUB, { image: 'base-image', tagFrom: 'unset-arg', followsBaseTag: true }],
    ['RUN --mount=from=', 'FROM scratch\nRUN --mount=type=bind,from=owner/base-image,target=/b true', HUB, { image: 'base-image', tagFrom: 'none', followsBaseTag: true }],
    // Outside: what is not named by a self name stays an outside image.
    ['Docker Hub\'s library', 'FROM docker.io/library/ubuntu:24.04', HUB, undefined],
    ['an official image, no owner written', 'FROM ubuntu:24.04', HUB, undefined],
    ['another owner\'s image', 'FROM other/base-image:${BASE_TAG}', HUB, undefined],
    ['an owner whose name starts the same', 'FROM owner2/base-image:${BASE_TAG}', HUB, undefined],
    ['the same owner on another registry', 'FROM ghcr.io/owner/base-image:${BASE_TAG}', HUB, undefined],
    ['Docker Hub for a self name on ghcr.io', 'FROM owner/repo/base-image', GHCR, undefined],
    ['a deeper path under the self name', 'FROM owner/sub/base-image:${BASE_TAG}', HUB, undefined],
    ['a name that is no image name', 'FROM owner/Base_Image:${BASE_TAG}', HUB, undefined],
    ['no self names', 'FROM owner/base-image:${BASE_TAG}', [], undefined],
    ['a stage of the Dockerfile', 'FROM scratch AS owner\nFROM owner', HUB, undefined],
  ])('%s', (_case, dockerfile, selfNames, expected) => {
    const { reads } = repositoryImages(`${LITERAL}${dockerfile}\n`, DEFAULT_BUILD_ARG_NAMES, undefined, 'Dockerfile', {}, selfNames);
    if (expected === undefined) expect(reads).toEqual([]);
    else expect(reads).toEqual([expect.objectContaining({ ...expected, literal: true })]);
  });

  it('the base tag arg, when its name is the one in the literal reference: the branch rule through the arg', () => {
    const names: BuildArgNames = { ...DEFAULT_BUILD_ARG_NAMES, baseTag: 'BASE_TAG' };
    const found = repositoryImages(`${LITERAL}FROM owner/base-image:\${BASE_TAG}\n`, names, undefined, 'Dockerfile', {}, HUB);
    expect(found.finalBase).toMatchObject({ image: 'base-image', tagFrom: 'base-tag-arg', literal: true, written: 'owner/base-image:${BASE_TAG}' });
  });

  it('with the images the repository builds known, a literal name of another image stays outside; a reference through the args does not', () => {
    const dockerfile = 'ARG REGISTRY=r.io\nARG REPOSITORY=o/n\nFROM ${REGISTRY}/${REPOSITORY}/a\nCOPY --from=owner/b /x /x\nCOPY --from=owner/elsewhere /y /y\n';
    const { images } = repositoryImages(dockerfile, DEFAULT_BUILD_ARG_NAMES, undefined, 'Dockerfile', {}, HUB, new Set(['b']));
    expect(images).toEqual(['a', 'b']);
  });

  it('a reference through the args is not marked literal, beside a literal one', () => {
    const dockerfile = 'ARG REGISTRY=r.io\nARG REPOSITORY=o/n\nARG BASE_IMAGE_TAG=main\nFROM ${REGISTRY}/${REPOSITORY}/a:${BASE_IMAGE_TAG}\nCOPY --from=owner/b /x /x\n';
    const { reads } = repositoryImages(dockerfile, DEFAULT_BUILD_ARG_NAMES, undefined, 'Dockerfile', {}, HUB);
    expect(reads.map((read) => [read.image, read.literal ?? false])).toEqual([['a', false], ['b', true]]);
  });
});

describe('canonicalName and selfNamePrefix', () => {
  it.each([
    ['owner/x:1', 'docker.io/owner/x:1'],
    ['ubuntu:24.04', 'docker.io/library/ubuntu:24.04'],
    ['docker.io/owner/x', 'docker.io/owner/x'],
    ['index.docker.io/owner/x', 'docker.io/owner/x'],
    ['registry-1.docker.io/owner/x', 'docker.io/owner/x'],
    ['GHCR.io/owner/repo/x', 'ghcr.io/owner/repo/x'],
    ['localhost/x', 'localhost/x'],
    ['127.0.0.1:5000/o/x@sha256:0', '127.0.0.1:5000/o/x@sha256:0'],
  ])('canonicalName(%s) = %s', (reference, expected) => {
    expect(canonicalName(reference)).toBe(expected);
  });

  it.each([
    ['owner/', 'docker.io/owner/'],
    ['owner', 'docker.io/owner/'],
    ['docker.io/owner/', 'docker.io/owner/'],
    ['index.docker.io/owner', 'docker.io/owner/'],
    ['ghcr.io/owner/repo/', 'ghcr.io/owner/repo/'],
    [' quay.io/owner// ', 'quay.io/owner/'],
  ])('selfNamePrefix(%s) = %s', (name, expected) => {
    expect(selfNamePrefix(name)).toBe(expected);
  });
});

describe('buildArgValues', () => {
  const values = { registry: '127.0.0.1:5000', repository: 'fornax/images', tag: 'feature-x', baseTag: 'main' };

  it('passes registry and repository apart in our convention', () => {
    expect(buildArgValues(DEFAULT_BUILD_ARG_NAMES, values)).toEqual({
      REGISTRY: '127.0.0.1:5000',
      REPOSITORY: 'fornax/images',
      IMAGE_TAG: 'feature-x',
      BASE_IMAGE_TAG: 'main',
    });
  });

  it('puts the registry into the repository arg when there is no registry arg, and passes no image tag arg when there is none', () => {
    expect(buildArgValues(REAL_NAMES, values)).toEqual({ REPOSITORY: '127.0.0.1:5000/fornax/images', BASE_TAG: 'main' });
  });
});

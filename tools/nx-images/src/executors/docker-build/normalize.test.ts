import { describe, expect, it } from 'vitest';
import type { ResolvedBase } from '../../lib/core/dockerfile/bases';
import { dockerfileImages } from '../../lib/core/dockerfile/dockerfile';
import { UserError, type Problem } from '../../lib/core/errors';
import { workspaceSettings } from '../../lib/core/graph/plugin-entry';
import { targetSettings } from '../../lib/core/graph/target-settings';

/** docker-build's settings as the plugin writes them for nx.json `nxJson`. */
const buildSettings = (nxJson?: Parameters<typeof workspaceSettings>[0]) => targetSettings(workspaceSettings(nxJson)).build;
import { digestPinnedBases, normalizeOptions, pinBases, type BuildFacts } from './normalize';
import type { DockerBuildExecutorSchema } from './schema';

const SHA = 'c'.repeat(40);
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const ID = `sha256:${'a'.repeat(64)}`;

const OURS = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
  'COPY tractor.txt /etc/fornax-tractor',
].join('\n');

const REAL = [
  'ARG BASE_TAG=latest',
  'ARG REPOSITORY=ghcr.io/nasa-fornax/fornax-images',
  'FROM ${REPOSITORY}/env-heasoft:${BASE_TAG} AS env_heasoft',
  'FROM ${REPOSITORY}/env-ciao:${BASE_TAG} AS env_ciao',
  'FROM ${REPOSITORY}/fornax-base:${BASE_TAG}',
  'COPY --from=env_heasoft /opt/envs/heasoft /opt/envs/heasoft',
  'RUN --mount=type=bind,from=env_ciao,source=/opt/,target=/tmp/opt true',
  'COPY --from=${REPOSITORY}/env-ciao:${BASE_TAG} /x /x',
].join('\n');
const REAL_SETTINGS = buildSettings({
  plugins: [{ plugin: '@fornax/nx-images', options: { buildArgs: { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' } } }],
});

function facts(dockerfile: string | undefined, overrides: Partial<BuildFacts> = {}): BuildFacts {
  return {
    projectName: 'tractor',
    projectRoot: 'images/tractor',
    workspaceRoot: '/ws',
    settings: buildSettings(),
    env: {},
    gitBranch: 'feature/x',
    headSha: SHA,
    originUrl: 'git@github.com:Nasa-Fornax/Fornax-Images.git',
    now: new Date(0),
    buildTime: new Date(0),
    dockerfile: (path) => {
      if (dockerfile === undefined) throw new Error(`ENOENT ${path}`);
      return dockerfile;
    },
    ...overrides,
  };
}

const options = (extra: DockerBuildExecutorSchema = {}): DockerBuildExecutorSchema => ({ registry: 'r.io', repository: 'o/n', ...extra });

describe('normalizeOptions', () => {
  const TWO = { plugins: [{ plugin: '@fornax/nx-images', options: { platforms: ['linux/amd64', 'linux/arm64'] } }] };
  it.each<[string, Parameters<typeof workspaceSettings>[0], DockerBuildExecutorSchema, string[]]>([
    ['no option anywhere: the runner\'s own', undefined, {}, []],
    ['nx.json\'s two', TWO, {}, ['linux/amd64', 'linux/arm64']],
    ['the image\'s own list replaces nx.json\'s', TWO, { platforms: ['linux/arm64'] }, ['linux/arm64']],
    ['an image back to the runner\'s own', TWO, { platforms: [] }, []],
    ['tests of two platforms, each in its own container', undefined, { platforms: ['linux/amd64', 'linux/arm64'], test: true }, ['linux/amd64', 'linux/arm64']],
  ])('platforms: %s', (_case, nxJson, extra, expected) => {
    expect(normalizeOptions(options(extra), facts(OURS, { settings: buildSettings(nxJson) })).platforms).toEqual(expected);
  });

  it('fills in every default for our convention, with one base to resolve per branch', () => {
    const build = normalizeOptions(options(), facts(OURS));
    expect(build).toMatchObject({
      project: 'tractor',
      image: 'tractor',
      tag: 'feature-x',
      tagFrom: 'the current git branch',
      references: ['r.io/o/n/tractor:feature-x'],
      context: '/ws/images/tractor',
      file: '/ws/images/tractor/Dockerfile',
      defaultTag: 'main',
      push: false,
      dryRun: false,
      branch: 'feature/x',
      buildArgs: { REGISTRY: 'r.io', REPOSITORY: 'o/n', IMAGE_TAG: 'feature-x', BASE_IMAGE_TAG: 'feature-x' },
      revision: SHA,
      finalBase: 'base_image',
    });
    expect(build.externalBase).toBeUndefined();
    expect(build.bases).toHaveLength(1);
    expect(build.bases[0]?.question).toEqual({ image: 'base_image', name: 'r.io/o/n/base_image', tags: ['feature-x', 'main'], from: 'branch', local: true });
    expect(build.labels).toEqual({
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
      'org.opencontainers.image.version': 'feature-x',
      'org.opencontainers.image.source': 'https://github.com/Nasa-Fornax/Fornax-Images',
      // Outside git there is no digest of the inputs: written empty, never inherited from the base.
      'dev.nx-images.inputs': '',
    });
    expect(normalizeOptions(options(), facts(OURS, { inputs: 'sha256:in' })).labels['dev.nx-images.inputs']).toBe('sha256:in');
  });

  it('reads the real tree\'s convention: REPOSITORY with the registry, one BASE_TAG, every base once', () => {
    const build = normalizeOptions(options({ push: true }), facts(REAL, { settings: REAL_SETTINGS }));
    expect(build.buildArgs).toEqual({ REPOSITORY: 'r.io/o/n', BASE_TAG: 'feature-x' });
    expect(build.bases.map(({ question }) => [question.image, question.name, question.tags, question.local])).toEqual([
      ['env-heasoft', 'r.io/o/n/env-heasoft', ['feature-x', 'main'], false],
      ['env-ciao', 'r.io/o/n/env-ciao', ['feature-x', 'main'], false],
      ['fornax-base', 'r.io/o/n/fornax-base', ['feature-x', 'main'], false],
    ]);
    expect(build.bases.find(({ question }) => question.image === 'env-ciao')?.reads.map((read) => read.kind)).toEqual(['from', 'copy']);
    expect(build.finalBase).toBe('fornax-base');
  });

  it.each<[string, DockerBuildExecutorSchema, Partial<BuildFacts>, string[]]>([
    ['the default branch from nx.json', {}, { settings: { ...buildSettings(), defaultBranch: 'develop' } }, ['feature-x', 'develop']],
    ['--baseTagFallback over nx.json', { baseTagFallback: 'stable' }, {}, ['feature-x', 'stable']],
    ['on the default branch itself: one tag', {}, { gitBranch: 'main' }, ['main']],
    ['a pull request: its head branch', {}, { env: { GITHUB_HEAD_REF: 'pr/7', GITHUB_REF_NAME: '7/merge' } }, ['pr-7', 'main']],
  ])('tries %s', (_case, extra, overrides, tags) => {
    expect(normalizeOptions(options(extra), facts(OURS, overrides)).bases[0]?.question.tags).toEqual(tags);
  });

  it('a pinned base tag build arg resolves that tag only and stays the arg', () => {
    const build = normalizeOptions(options({ buildArgs: { BASE_IMAGE_TAG: 'v1.0' } }), facts(OURS));
    expect(build.bases[0]?.question).toMatchObject({ tags: ['v1.0'], from: 'pinned' });
    expect(build.buildArgs.BASE_IMAGE_TAG).toBe('v1.0');
  });

  it('a tag written in the Dockerfile is resolved as written; a digest written there is left alone', () => {
    const dockerfile = `ARG REPOSITORY=r/o/n\nARG BASE_TAG=main\nFROM \${REPOSITORY}/a:v2 AS a\nFROM \${REPOSITORY}/b@${D1}\n`;
    const build = normalizeOptions(options(), facts(dockerfile, { settings: REAL_SETTINGS }));
    expect(build.bases.map(({ question }) => [question.image, question.tags, question.from])).toEqual([['a', ['v2'], 'written']]);
  });

  it.each<[string, DockerBuildExecutorSchema, boolean]>([
    ['no push: the local engine may serve a base', {}, true],
    ['a push: registry only', { push: true }, false],
    ['--pull: registry only', { pull: true }, false],
  ])('%s', (_case, extra, local) => {
    expect(normalizeOptions(options(extra), facts(OURS)).bases[0]?.question.local).toBe(local);
  });

  it('an upstream final base is named in base.name, with nothing to resolve', () => {
    const build = normalizeOptions(options(), facts('ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\n'));
    expect(build.bases).toEqual([]);
    expect(build.externalBase).toBe('quay.io/jupyter/scipy-notebook:2025-12-31');
    expect(build.labels['org.opencontainers.image.base.name']).toBe('quay.io/jupyter/scipy-notebook:2025-12-31');
  });

  it('honours NX_DRY_RUN, SOURCE_DATE_EPOCH and GITHUB_REPOSITORY', () => {
    const build = normalizeOptions(options(), facts(OURS, { env: { NX_DRY_RUN: 'true', SOURCE_DATE_EPOCH: '86400', GITHUB_REPOSITORY: 'nasa-fornax/fornax-images' } }));
    expect(build.dryRun).toBe(true);
    expect(build.labels['org.opencontainers.image.created']).toBe('1970-01-02T00:00:00.000Z');
    expect(build.labels['org.opencontainers.image.source']).toBe('https://github.com/nasa-fornax/fornax-images');
  });

  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  it.each<[string, DockerBuildExecutorSchema, Partial<BuildFacts>, string | undefined, Partial<Problem>]>([
    ['a missing Dockerfile', {}, {}, undefined, { subject: 'tractor', problem: 'no Dockerfile at images/tractor/Dockerfile', fix: 'add one, or point the "file" option at it' }],
    ['no commit', {}, { headSha: undefined }, OURS, { subject: 'tractor', problem: 'no commit to label the image with', fix: 'run inside the git repository, or set GITHUB_SHA' }],
    ['a context outside the workspace', { context: '../elsewhere' }, {}, OURS, { subject: 'context', problem: '"../elsewhere" is outside the workspace', fix: 'give a path inside it' }],
    ['a file outside the workspace', { file: '/etc/passwd' }, {}, OURS, { subject: 'file', problem: '"/etc/passwd" is outside the workspace' }],
    ['an image name that is not valid', { image: 'Tractor' }, {}, OURS, { subject: 'image name', problem: '"Tractor" is not valid' }],
    ['an extra tag that is not valid', { extraTags: ['a/b'] }, {}, OURS, { subject: 'extra tag', problem: '"a/b" is not a valid Docker tag' }],
    ['a pinned base tag that is no tag', { buildArgs: { BASE_IMAGE_TAG: 'a b' } }, {}, OURS, { subject: 'build arg BASE_IMAGE_TAG', problem: '"a b" is not a valid Docker tag' }],
    ['a detached HEAD with no tag', {}, { gitBranch: undefined }, OURS, { subject: 'tag', problem: like(/^none: HEAD is detached/) }],
    [
      'a platform without its os',
      { platforms: ['arm64'] },
      {},
      OURS,
      { image: 'tractor', subject: 'docker-build option platforms', problem: '"arm64" is not os/arch[/variant]', fix: like(/linux\/arm64/) },
    ],
  ])('refuses %s in one line', (_case, extra, overrides, dockerfile, fields) => {
    const call = () => normalizeOptions(options(extra), facts(dockerfile, overrides));
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining(fields));
  });
});

describe('pinBases', () => {
  const resolved = (image: string, overrides: Partial<ResolvedBase> = {}): ResolvedBase => ({
    image,
    reference: `r.io/o/n/${image}:main`,
    tag: 'main',
    source: 'registry',
    digest: D1,
    note: '',
    ...overrides,
  });

  it('reads every base by digest, names the final base and records every base', () => {
    const build = normalizeOptions(options({ push: true }), facts(REAL, { settings: REAL_SETTINGS }));
    const pinned = pinBases(build, [resolved('env-heasoft'), resolved('env-ciao', { digest: D2, tag: 'feature-x', reference: 'r.io/o/n/env-ciao:feature-x' }), resolved('fornax-base')]);
    const reads = dockerfileImages(pinned.dockerfile, {}).reads.map((read) => read.reference);
    expect(reads).toEqual([`r.io/o/n/env-heasoft@${D1}`, `r.io/o/n/env-ciao@${D2}`, `r.io/o/n/fornax-base@${D1}`, `r.io/o/n/env-ciao@${D2}`]);
    expect(pinned.dockerfile).toContain(' AS env_heasoft\n');
    expect(pinned.build.buildArgs.BASE_TAG).toBe('main');
    expect(pinned.build.labels['org.opencontainers.image.base.name']).toBe('r.io/o/n/fornax-base:main');
    expect(pinned.build.labels['org.opencontainers.image.base.digest']).toBe(D1);
    expect(JSON.parse(pinned.build.labels['dev.nx-images.bases'] ?? '[]')).toEqual([
      { image: 'env-ciao', reference: 'r.io/o/n/env-ciao:feature-x', digest: D2 },
      { image: 'env-heasoft', reference: 'r.io/o/n/env-heasoft:main', digest: D1 },
      { image: 'fornax-base', reference: 'r.io/o/n/fornax-base:main', digest: D1 },
    ]);
    expect(build.dockerfileText).toBe(REAL);
  });

  it('reads a local base by the tag made for this build, and keeps a pinned base tag arg', () => {
    const build = normalizeOptions(options({ buildArgs: { BASE_IMAGE_TAG: 'v1' } }), facts(OURS));
    const pinned = pinBases(build, [resolved('base_image', { source: 'local', id: ID, digest: undefined, tag: 'v1', reference: 'r.io/o/n/base_image:v1' })], { base_image: 'fornax-pin-0' });
    expect(dockerfileImages(pinned.dockerfile, {}).reads.map((read) => read.reference)).toEqual(['r.io/o/n/base_image:fornax-pin-0']);
    expect(pinned.build.buildArgs.BASE_IMAGE_TAG).toBe('v1');
    expect(pinned.build.labels['org.opencontainers.image.base.name']).toBe('r.io/o/n/base_image:v1');
    expect(pinned.build.labels['org.opencontainers.image.base.digest']).toBeUndefined();
  });

  it('leaves the Dockerfile as it is when nothing can be pinned', () => {
    const build = normalizeOptions(options(), facts(OURS));
    expect(pinBases(build, [resolved('base_image', { digest: undefined })]).dockerfile).toBe(OURS);
  });

  // A repository that names its images literally on Docker Hub (selfNames ["owner/"]); this run pushes to r.io/o/n (a fork, or a mirror).
  const LITERAL = [
    'ARG BASE_TAG=master',
    'FROM owner/base-image:${BASE_TAG} AS base',
    'FROM docker.io/library/ubuntu:24.04 AS upstream',
    `COPY --from=index.docker.io/owner/tools@${D2} /t /t`,
    'RUN --mount=type=bind,from=owner/data:2024.1,target=/d true',
    'FROM base',
  ].join('\n');
  const SELF = buildSettings({ plugins: [{ plugin: '@fornax/nx-images', options: { selfNames: ['owner/'] } }] });

  it('resolves literal self-references at this run\'s registry and repository, keeps the Dockerfile, and records both names', () => {
    const build = normalizeOptions(options({ push: true }), facts(LITERAL, { settings: SELF }));
    expect(build.bases.map(({ question }) => [question.image, question.name, question.from, question.tags, question.written])).toEqual([
      ['base-image', 'r.io/o/n/base-image', 'branch', ['feature-x', 'main'], 'owner/base-image:${BASE_TAG}'],
      ['data', 'r.io/o/n/data', 'written', ['2024.1'], 'owner/data:2024.1'],
    ]);
    expect(build.outside.map((read) => read.reference)).toEqual(['docker.io/library/ubuntu:24.04']);
    expect(build.finalBase).toBe('base-image');
    const asWritten = digestPinnedBases(build);
    const pinned = pinBases(build, [resolved('base-image', { reference: 'r.io/o/n/base-image:feature-x', tag: 'feature-x', written: 'owner/base-image:${BASE_TAG}' }), resolved('data', { digest: D2, tag: '2024.1', reference: 'r.io/o/n/data:2024.1', written: 'owner/data:2024.1' }), ...asWritten]);
    expect(dockerfileImages(pinned.dockerfile, {}).reads.map((read) => read.reference)).toEqual([`r.io/o/n/base-image@${D1}`, 'docker.io/library/ubuntu:24.04', `r.io/o/n/tools@${D2}`, `r.io/o/n/data@${D2}`]);
    expect(build.dockerfileText).toBe(LITERAL);
    expect(pinned.build.labels['org.opencontainers.image.base.name']).toBe('r.io/o/n/base-image:feature-x');
    expect(JSON.parse(pinned.build.labels['dev.nx-images.bases'] ?? '[]')).toEqual([
      { image: 'base-image', reference: 'r.io/o/n/base-image:feature-x', digest: D1, written: 'owner/base-image:${BASE_TAG}' },
      { image: 'data', reference: 'r.io/o/n/data:2024.1', digest: D2, written: 'owner/data:2024.1' },
      { image: 'tools', reference: `r.io/o/n/tools@${D2}`, digest: D2, written: `index.docker.io/owner/tools@${D2}` },
    ]);
  });

  it('a literal self name of an image this workspace does not build is an outside image', () => {
    const build = normalizeOptions(options({ push: true }), facts(LITERAL, { settings: SELF, images: new Set(['base-image', 'tractor']) }));
    expect(build.bases.map(({ question }) => question.image)).toEqual(['base-image']);
    expect(build.digestPinned).toEqual([]);
    expect(build.outside.map((read) => read.reference)).toEqual(['docker.io/library/ubuntu:24.04', `index.docker.io/owner/tools@${D2}`, 'owner/data:2024.1']);
  });

  it('without selfNames, the same Dockerfile reads every literal reference as an outside image', () => {
    const build = normalizeOptions(options({ push: true }), facts(LITERAL));
    expect(build.bases).toEqual([]);
    expect(build.digestPinned).toEqual([]);
    expect(build.outside.map((read) => read.reference)).toEqual(['owner/base-image:master', 'docker.io/library/ubuntu:24.04', `index.docker.io/owner/tools@${D2}`, 'owner/data:2024.1']);
  });

  it('insists on a resolution of every base', () => {
    const build = normalizeOptions(options(), facts(OURS));
    expect(() => pinBases(build, [])).toThrow(/base_image was not resolved/);
  });
});

describe('normalizeOptions: per-build tags and build-arg templates', () => {
  const FORNAX = buildSettings({
    plugins: [{ plugin: '@fornax/nx-images', options: { tagTemplates: ['{branch}', 'sha-{sha:12}', '{time:%Y%m%d_%H%M}'], buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } } }],
  });
  const NOON = new Date('2026-06-30T12:00:59Z');

  it.each<[string, DockerBuildExecutorSchema, Partial<BuildFacts>, string[], Record<string, string>]>([
    ['the default: the branch tag only', {}, {}, [], {}],
    ['Fornax\'s settings, the build time passed in', {}, { settings: FORNAX, buildTime: NOON }, ['sha-cccccccccccc', '20260630_1200'], { BUILD_VERSION: 'tractor:sha-cccccccccccc' }],
    ['the build time, not the clock', {}, { settings: FORNAX, now: NOON, buildTime: new Date('2026-07-01T00:30:00+02:00') }, ['sha-cccccccccccc', '20260630_2230'], { BUILD_VERSION: 'tractor:sha-cccccccccccc' }],
    ['the executor\'s tagTemplates replace the plugin\'s', { tagTemplates: ['{time:%Y%m%d_%H%M}', '{branch}'] }, { settings: FORNAX, buildTime: NOON }, ['20260630_1200'], { BUILD_VERSION: 'tractor:20260630_1200' }],
    ['a template rendering the branch tag or an extra tag is no per-build tag', { tagTemplates: ['{branch}', 'feature-{image}', 'x'], extraTags: ['x'] }, { gitBranch: 'feature/tractor' }, [], {}],
    ['two templates rendering one tag give it once', { tagTemplates: ['{sha:7}', '{sha:7}'] }, {}, ['ccccccc'], {}],
    ['the executor\'s arg template over the plugin\'s, and buildArgs over both', { buildArgTemplates: { BUILD_VERSION: '{branch}', WHEN: '{time:%H%M}' }, buildArgs: { WHEN: 'given' } }, { settings: FORNAX, buildTime: NOON }, ['sha-cccccccccccc', '20260630_1200'], { BUILD_VERSION: 'feature-x' }],
    ['{tag} without per-build tags is the branch tag', { buildArgTemplates: { V: '{tag}' } }, {}, [], { V: 'feature-x' }],
  ])('%s', (_case, extra, overrides, buildTags, templated) => {
    const build = normalizeOptions(options(extra), facts(OURS, overrides));
    expect(build.tag).toBe(overrides.gitBranch ? 'feature-tractor' : 'feature-x');
    expect(build.buildTags).toEqual(buildTags);
    expect(build.templatedArgs).toEqual(templated);
    for (const [name, value] of Object.entries(templated)) expect(build.buildArgs[name]).toBe(value);
    if (extra.buildArgs?.WHEN) expect(build.buildArgs.WHEN).toBe('given');
    // Per-build tags are not references the build itself tags or pushes.
    expect(build.references.some((reference) => buildTags.some((tag) => reference.endsWith(`:${tag}`)))).toBe(false);
  });

  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  it.each<[string, DockerBuildExecutorSchema, Partial<BuildFacts>, Partial<Problem>]>([
    ['a time tag with a slash', { tagTemplates: ['{branch}', '{time:%Y/%m/%d}'] }, {}, { image: 'tractor', subject: 'tag template "{time:%Y/%m/%d}"', problem: 'renders "1970/01/01", which is not a valid Docker tag' }],
    ['an unknown placeholder in the executor\'s tagTemplates', { tagTemplates: ['{versions:python}'] }, {}, { image: 'tractor', subject: 'docker-build option tagTemplates "{versions:python}"', problem: 'unknown placeholder {versions:python}' }],
    ['templates under the old name tags', { tags: ['{branch}'] } as DockerBuildExecutorSchema, {}, { image: 'tractor', subject: 'docker-build option tags', problem: 'the templates of the tags a build gets are the option tagTemplates', fix: 'rename tags to tagTemplates' }],
    [
      'the inventory in a build arg (it is made after the build)',
      { buildArgTemplates: { PY: '{version:python}' } },
      {},
      { image: 'tractor', subject: 'docker-build option buildArgTemplates.PY "{version:python}"', problem: like(/reads the image's inventory/), fix: like(/^use it in per-build tag templates/) },
    ],
    ['an unclosed build arg template', { buildArgTemplates: { V: '{image' } }, {}, { image: 'tractor', subject: 'docker-build option buildArgTemplates.V "{image"', problem: 'the "{" at character 1 is not closed' }],
    ['a lock command that is one string', { lockCommand: 'sh x.sh' as unknown as string[] }, {}, { image: 'tractor', subject: 'docker-build option lockCommand', problem: 'not a list of non-empty strings' }],
  ])('refuses %s in one line', (_case, extra, overrides, fields) => {
    const call = () => normalizeOptions(options(extra), facts(OURS, overrides));
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining(fields));
    // The image comes first, once: outcome adds nothing to it.
    expect(call).toThrow(/^tractor: [^\n]+\.$/);
  });

  it('leaves the tags read from the inventory for after the push, every other placeholder rendered', () => {
    const build = normalizeOptions(options({ tagTemplates: ['{branch}', 'py-{version:python}-{sha:7}', 'sha-{sha:12}'] }), facts(OURS));
    expect(build.buildTags).toEqual(['sha-cccccccccccc']);
    expect(build.inventoryTags).toEqual(['py-{version:python}-ccccccc']);
  });
});

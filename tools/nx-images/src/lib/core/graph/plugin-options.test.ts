import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../errors';
import { DEFAULT_DOCKERFILES, imageOfDockerfile, variantOfDockerfile } from './dockerfile-globs';
import { isImagesPlugin, workspaceSettings } from './plugin-entry';
import { normalizePluginOptions } from './plugin-options';
import { DEFAULT_TARGET_NAMES } from './target-names';
import { DEFAULT_TARGET_SETTINGS, targetSettings } from './target-settings';
import { DEFAULT_BUILD_ARG_NAMES } from '../dockerfile/repository-images';
import { DEFAULT_TEST_RULE } from '../evidence/test-rule';

/** What no publish option gives: no mirrors, no lock command, and (before workspaceSettings) no publish branches. */
const NO_PUBLISH = { variants: '', selfNames: [] as string[], tests: DEFAULT_TEST_RULE, mirrors: [], publishBranches: [], lockCommand: [], tagTemplates: ['{branch}'], buildArgTemplates: {}, versionScheme: { name: 'semver' } as const, refreshDependents: true, platforms: [], platformRunners: { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' }, targets: DEFAULT_TARGET_NAMES };
const FORNAX_TAGS = ['{branch}', 'sha-{sha:12}', '{time:%Y%m%d_%H%M}'];
const REAL = { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' };

describe('normalizePluginOptions', () => {
  it.each<[string, unknown, ReturnType<typeof normalizePluginOptions>]>([
    ['no options', undefined, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['an empty object', {}, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['another glob', { dockerfiles: 'containers/**/Dockerfile' }, { dockerfiles: 'containers/**/Dockerfile', buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['the real tree\'s args', { buildArgs: REAL }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: REAL, testCommand: [], ...NO_PUBLISH }],
    ['mirrors, publish branches and a lock command', { mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, variants: '', selfNames: [], buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], tests: DEFAULT_TEST_RULE, mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'], tagTemplates: ['{branch}'], buildArgTemplates: {}, versionScheme: { name: 'semver' }, refreshDependents: true, platforms: [], platformRunners: { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' }, targets: DEFAULT_TARGET_NAMES }],
    ['a test command for every image', { testCommand: ['sh', 'run.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: ['sh', 'run.sh'], ...NO_PUBLISH }],
    ['Fornax\'s per-build tags and build version arg', { tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } }],
    ['docker-stacks: no base tag arg, variants', { buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' }, variants: 'images/*/*/Dockerfile' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' }, testCommand: [], ...NO_PUBLISH, variants: 'images/*/*/Dockerfile' }],
    ['one arg renamed, the others kept', { buildArgs: { baseTag: 'BASE_TAG' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: { ...DEFAULT_BUILD_ARG_NAMES, baseTag: 'BASE_TAG' }, testCommand: [], ...NO_PUBLISH }],
    ['Fornax\'s calendar versions', { versionScheme: 'calver' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, versionScheme: { name: 'calver' } }],
    ['renamed targets, as Nx\'s plugins allow', { buildTargetName: 'image', releaseTargetName: 'tag-release', testTargetName: 'test.image' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, targets: { ...DEFAULT_TARGET_NAMES, build: 'image', release: 'tag-release', test: 'test.image' } }],
    ['a refresh of the images themselves only', { refreshDependents: false }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, refreshDependents: false }],
    ['literal names of its images, each ending in /', { selfNames: ['owner', 'docker.io/owner/', 'ghcr.io/owner/repo//'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, selfNames: ['owner/', 'docker.io/owner/', 'ghcr.io/owner/repo/'] }],
    ['two platforms for every image', { platforms: ['linux/amd64', 'linux/arm64'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, platforms: ['linux/amd64', 'linux/arm64'] }],
    ['a self-hosted arm64 runner, amd64 kept', { platformRunners: { 'linux/arm64': 'graviton-large' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, platformRunners: { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'graviton-large' } }],
    ['an arm variant', { platforms: ['linux/arm/v7'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, platforms: ['linux/arm/v7'] }],
    ['versions by a pattern', { versionScheme: 'pattern', versionPattern: '^release-(\\d+)-(\\d+)$' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, versionScheme: { name: 'pattern', pattern: '^release-(\\d+)-(\\d+)$' } }],
  ])('%s', (_case, options, expected) => {
    expect(normalizePluginOptions(options)).toEqual(expected);
  });

  const NX = 'nx.json: @fornax/nx-images';
  const option = (name: string) => `${NX} option ${name}`;
  const has = (text: string) => expect.stringContaining(text) as unknown as string;
  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  it.each<[string, unknown, Partial<Problem>]>([
    [
      'an unknown option',
      { dockerfile: 'x/Dockerfile' },
      { subject: NX, problem: 'there is no option "dockerfile"', fix: 'use the options dockerfiles, variants, buildArgs, selfNames, testCommand, tests, mirrors, publishBranches, lockCommand, tagTemplates, buildArgTemplates, versionScheme, versionPattern, refreshDependents, platforms, platformRunners, buildTargetName, testTargetName, releaseTargetName, releaseCheckTargetName, publishTargetName, diffTargetName' },
    ],
    ['selfNames as one string', { selfNames: 'owner/' }, { subject: option('selfNames'), problem: 'not a list of non-empty strings', fix: 'give one such as ["owner/", "docker.io/owner/"]' }],
    ['a self name with a tag', { selfNames: ['owner/base:1'] }, { subject: option('selfNames'), problem: '"owner/base:1" is not a registry path (no tag, digest or $ARG)', fix: has('"owner/" or "ghcr.io/owner/repo/"') }],
    ['a self name with an arg', { selfNames: ['${REPOSITORY}/'] }, { subject: option('selfNames'), problem: has('is not a registry path') }],
    ['a self name in capitals', { selfNames: ['Owner/'] }, { subject: option('selfNames'), problem: has('is not a registry path') }],
    ['platforms as one string', { platforms: 'linux/amd64' }, { subject: option('platforms'), problem: 'not a list of platforms', fix: 'give one such as ["linux/amd64", "linux/arm64"]' }],
    ['a platform without its os', { platforms: ['arm64'] }, { subject: option('platforms'), problem: '"arm64" is not os/arch[/variant]', fix: 'write platforms as Docker does, e.g. "linux/arm64"' }],
    ['a platform with spaces', { platforms: [' linux/arm64'] }, { subject: option('platforms'), problem: '" linux/arm64" is not os/arch[/variant]' }],
    ['a platform that is an option', { platforms: ['--push'] }, { subject: option('platforms'), problem: '"--push" is not os/arch[/variant]' }],
    ['runners as a list', { platformRunners: ['ubuntu-24.04'] }, { subject: option('platformRunners'), problem: 'not an object' }],
    ['a runner keyed by an architecture alone', { platformRunners: { arm64: 'ubuntu-24.04-arm' } }, { subject: option('platformRunners'), problem: '"arm64" is not os/arch[/variant]' }],
    ['a runner that is an expression', { platformRunners: { 'linux/arm64': '${{ github.event.inputs.runner }}' } }, { subject: option('platformRunners.linux/arm64'), problem: '"${{ github.event.inputs.runner }}" is not a runner label', fix: 'give a runs-on label such as "ubuntu-24.04-arm"' }],
    ['a runner that is empty', { platformRunners: { 'linux/arm64': '' } }, { subject: option('platformRunners.linux/arm64'), problem: '"" is not a runner label' }],
    ['a platform twice', { platforms: ['linux/amd64', 'linux/amd64'] }, { subject: option('platforms'), problem: 'linux/amd64 is listed twice', fix: 'list each platform once' }],
    ['a platform that is a number', { platforms: [64] }, { subject: option('platforms'), problem: '64 is not os/arch[/variant]' }],
    ['refreshDependents as a string', { refreshDependents: 'false' }, { subject: option('refreshDependents'), problem: '"false" is not true or false', fix: 'write true or false, without quotes' }],
    ['a glob of other files', { dockerfiles: 'images/*/Containerfile' }, { subject: option('dockerfiles'), problem: '"images/*/Containerfile" is not a glob of Dockerfiles inside the workspace', fix: 'give one like "images/*/Dockerfile"' }],
    ['a glob leaving the workspace', { dockerfiles: '../other/*/Dockerfile' }, { subject: option('dockerfiles'), problem: has('is not a glob of Dockerfiles inside the workspace') }],
    ['an absolute glob', { dockerfiles: '/images/*/Dockerfile' }, { subject: option('dockerfiles'), problem: has('is not a glob of Dockerfiles inside the workspace') }],
    ['a glob that is no text', { dockerfiles: 3 }, { subject: option('dockerfiles'), problem: like(/^3 is not a glob/) }],
    ['buildArgs as a list', { buildArgs: ['REGISTRY'] }, { subject: option('buildArgs'), problem: 'not an object', fix: has('give one such as {') }],
    ['an unknown arg key', { buildArgs: { tag: 'TAG' } }, { subject: option('buildArgs'), problem: 'there is no "tag"', fix: 'use the keys registry, repository, imageTag, baseTag' }],
    ['no repository arg', { buildArgs: { repository: '' } }, { subject: option('buildArgs.repository'), problem: '"" is not a build arg name', fix: 'use letters, digits and "_"' }],
    ['variants that are the images', { variants: 'images/*/Dockerfile' }, { subject: option('variants'), problem: '"images/*/Dockerfile" is not a glob of Dockerfiles one folder below the images\' (<image>/<variant>/Dockerfile)', fix: 'give one like "images/*/*/Dockerfile"' }],
    ['variants leaving the workspace', { variants: '../x/*/*/Dockerfile' }, { subject: option('variants'), problem: has('is not a glob of Dockerfiles one folder below') }],
    ['variants that are no text', { variants: ['images/*/*/Dockerfile'] }, { subject: option('variants'), problem: like(/^\[.*\] is not a glob/) }],
    ['an arg name with a dash', { buildArgs: { registry: 'MY-REGISTRY' } }, { subject: option('buildArgs.registry'), problem: '"MY-REGISTRY" is not a build arg name', fix: 'use letters, digits and "_", or "" for none' }],
    ['an arg name with a command', { buildArgs: { baseTag: '$(id)' } }, { subject: option('buildArgs.baseTag'), problem: '"$(id)" is not a build arg name' }],
    ['one name for two args', { buildArgs: { baseTag: 'IMAGE_TAG' } }, { subject: option('buildArgs'), problem: 'one name is given to two args (REGISTRY, REPOSITORY, IMAGE_TAG, IMAGE_TAG)', fix: 'give each its own' }],
    ['mirrors given as one string', { mirrors: 'a.example.org' }, { subject: option('mirrors'), problem: 'not a list of non-empty strings', fix: 'give one such as ["123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax"]' }],
    ['an empty publish branch', { publishBranches: ['main', ' '] }, { subject: option('publishBranches'), problem: 'not a list of non-empty strings' }],
    ['a test command that is no list of words', { testCommand: 'pytest -q' }, { subject: option('testCommand'), problem: 'not a list of non-empty strings', fix: 'give one such as ["python", "-m", "pytest", "-q"]' }],
    ['an unknown version scheme', { versionScheme: 'calendar' }, { subject: option('versionScheme'), problem: '"calendar" is not a version scheme', fix: has('use "semver"') }],
    ['a pattern scheme with no pattern', { versionScheme: 'pattern' }, { subject: option('versionScheme'), problem: '"pattern" needs versionPattern' }],
    ['a version pattern that does not compile', { versionScheme: 'pattern', versionPattern: '(\\d+' }, { subject: option('versionPattern'), problem: like(/^"\(\\\\d\+" is not a regular expression/) }],
    ['tags given as one string', { tagTemplates: '{branch}' }, { subject: option('tagTemplates'), problem: 'not a list of tag templates', fix: 'give one such as ["{branch}", "sha-{sha:12}", "{time:%Y%m%d_%H%M}"]' }],
    ['no tags at all', { tagTemplates: [] }, { subject: option('tagTemplates'), problem: 'not a list of tag templates' }],
    ['the templates under the name tags, which every Nx project has for its labels', { tags: ['{branch}'] }, { subject: option('tags'), problem: 'the templates of the tags a build gets are the option tagTemplates', fix: 'rename tags to tagTemplates' }],
    ['a tag template with an unknown placeholder', { tagTemplates: ['{branch}', 'v-{release}'] }, { subject: `${option('tagTemplates')} "v-{release}"`, problem: 'unknown placeholder {release}', fix: has('use the placeholders') }],
    ['a tag template naming the tag itself', { tagTemplates: ['{tag}'] }, { subject: `${option('tagTemplates')} "{tag}"`, problem: '{tag} is the tag being made here' }],
    ['build arg templates as a list', { buildArgTemplates: ['BUILD_VERSION'] }, { subject: option('buildArgTemplates'), problem: 'not an object of build arg name -> template' }],
    ['a build arg template under a bad name', { buildArgTemplates: { 'BUILD-VERSION': '{tag}' } }, { subject: option('buildArgTemplates'), problem: '"BUILD-VERSION" is not a build arg name' }],
    ['a build arg template that is a number', { buildArgTemplates: { N: 3 } }, { subject: option('buildArgTemplates.N'), problem: 'not a template string' }],
    ['an unclosed build arg template', { buildArgTemplates: { BUILD_VERSION: '{image:{tag}' } }, { subject: `${option('buildArgTemplates.BUILD_VERSION')} "{image:{tag}"`, problem: 'the "{" at character 1 is not closed' }],
    ['a target name with a space', { buildTargetName: 'docker build' }, { subject: option('buildTargetName'), problem: '"docker build" is not a target name', fix: 'use letters, digits, "_", "." and "-", e.g. "docker-build"' }],
    ['a target name that could be an option', { releaseTargetName: '--all' }, { subject: option('releaseTargetName'), problem: '"--all" is not a target name' }],
    ['a target name with a configuration', { testTargetName: 'test:ci' }, { subject: option('testTargetName'), problem: '"test:ci" is not a target name' }],
    ['an empty target name', { publishTargetName: '' }, { subject: option('publishTargetName'), problem: '"" is not a target name' }],
    ['a target name that is no text', { releaseCheckTargetName: 3 }, { subject: option('releaseCheckTargetName'), problem: '3 is not a target name' }],
    ['two targets of one name', { buildTargetName: 'release' }, { subject: NX, problem: 'two targets are named "release"', fix: 'give each of buildTargetName, testTargetName, releaseTargetName, releaseCheckTargetName, publishTargetName, diffTargetName its own name' }],
    ['a diff target named like another', { diffTargetName: 'publish' }, { subject: NX, problem: 'two targets are named "publish"' }],
    ['a diff target name with a space', { diffTargetName: 'image diff' }, { subject: option('diffTargetName'), problem: '"image diff" is not a target name', fix: 'use letters, digits, "_", "." and "-", e.g. "image-diff"' }],
    ['options that are a list', ['images/*/Dockerfile'], { subject: NX, problem: 'its options are not an object', fix: 'give an object, e.g. { "dockerfiles": "images/*/Dockerfile" }' }],
  ])('refuses %s in one line', (_case, options, fields) => {
    const call = () => normalizePluginOptions(options);
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining(fields));
    expect(call).toThrow(/^nx\.json: @fornax\/nx-images[^\n]*\.$/);
  });
});

describe('workspaceSettings', () => {
  it('reads the plugin entry and defaultBase from nx.json', () => {
    const settings = workspaceSettings({
      defaultBase: 'develop',
      plugins: ['@nx/js', { plugin: '@fornax/nx-images', options: { buildArgs: REAL } }],
    });
    expect(settings).toEqual({ dockerfiles: DEFAULT_DOCKERFILES, buildArgs: REAL, testCommand: [], ...NO_PUBLISH, publishBranches: ['develop'], defaultBranch: 'develop' });
  });

  it.each([
    ['no nx.json', undefined],
    ['no plugins', {}],
    ['the plugin without options', { plugins: ['@fornax/nx-images'] }],
  ])('falls back to the defaults and main with %s', (_case, nxJson) => {
    expect(workspaceSettings(nxJson)).toEqual({ dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, publishBranches: ['main'], defaultBranch: 'main' });
  });
});

describe('the plugin registered by name or by path', () => {
  it.each<[string, boolean]>([
    ['@fornax/nx-images', true],
    ['@fornax/nx-images/plugin', true],
    ['./tools/nx-images', true],
    ['./tools/nx-images/', true],
    ['tools/nx-images', true],
    ['./tools/nx-images/src/index.ts', true],
    ['./tools/nx-images/src/index.js', true],
    ['./tools/x/../nx-images', true],
    ['/abs/repo/tools/nx-images', true],
    ['tools\\nx-images', true],
    ['@nx/docker', false],
    ['@fornax/nx-images-other', false],
    ['@other/nx-images', false],
    ['./tools/nx-images-fork', false],
    ['./tools/nx-images/src/other.ts', false],
    ['nx-images', false],
  ])('%s -> %s', (plugin, ours) => {
    expect(isImagesPlugin(plugin)).toBe(ours);
  });

  it('reads the options of a registration by path, and of the first entry that is ours', () => {
    const settings = workspaceSettings({
      plugins: ['@nx/js', { plugin: './tools/nx-images', options: { tagTemplates: ['{branch}', 'sha-{sha:7}'] } }, { plugin: '@fornax/nx-images', options: { tagTemplates: ['{branch}', 'x-{sha:7}'] } }],
    });
    expect(settings.tagTemplates).toEqual(['{branch}', 'sha-{sha:7}']);
  });

  it('asks the caller about a path it cannot place (the I/O layer reads its package.json)', () => {
    const nxJson = { plugins: [{ plugin: './plugins/images', options: { buildTargetName: 'image' } }] };
    expect(workspaceSettings(nxJson).targets.build).toBe('docker-build');
    expect(workspaceSettings(nxJson, (plugin) => plugin === './plugins/images').targets.build).toBe('image');
  });
});

describe('targetSettings: what each target carries of nx.json, as its settings option', () => {
  const fromNxJson = workspaceSettings({
    defaultBase: 'develop',
    plugins: [{ plugin: '@fornax/nx-images', options: { buildArgs: REAL, tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' }, lockCommand: ['sh', '/x.sh'], mirrors: ['m.example.org/o'], testCommand: ['sh', 'run.sh'], tests: { path: 'tests/test_{name_}.py' }, testTargetName: 'check', platforms: ['linux/amd64', 'linux/arm64'] } }],
  });
  const written = targetSettings(fromNxJson);

  it('gives docker-build exactly what it reads', () => {
    expect(written.build).toEqual({ buildArgNames: REAL, selfNames: [], tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' }, lockCommand: ['sh', '/x.sh'], defaultBranch: 'develop', testTarget: 'check', platforms: ['linux/amd64', 'linux/arm64'] });
  });

  it('gives the test target its rule and command, the releases their mirrors and version scheme, publish its mirrors', () => {
    expect(written.test).toEqual({ tests: { path: 'tests/test_{name_}.py', mount: '', run: 'image', command: [] }, testCommand: ['sh', 'run.sh'], buildArgNames: REAL, selfNames: [], testTarget: 'check' });
    expect(written.release).toEqual({ mirrors: ['m.example.org/o'], versionScheme: { name: 'semver' }, testTarget: 'check' });
    expect(written.publish).toEqual({ mirrors: ['m.example.org/o'] });
  });

  it.each<[string, Record<string, unknown>, unknown]>([
    ['calver', { versionScheme: 'calver' }, { name: 'calver' }],
    ['a pattern', { versionScheme: 'pattern', versionPattern: '^r(\\d+)$' }, { name: 'pattern', pattern: '^r(\\d+)$' }],
  ])('carries the version scheme nx.json chose: %s', (_name, options, scheme) => {
    expect(targetSettings(workspaceSettings({ plugins: [{ plugin: '@fornax/nx-images', options }] })).release.versionScheme).toEqual(scheme);
  });

  it('is plain data, as Nx keeps a target\'s options in the project graph', () => {
    expect(JSON.parse(JSON.stringify(written)) as unknown).toEqual(written);
  });

  it('the defaults a target written by hand runs with are the plugin\'s with no options', () => {
    expect(DEFAULT_TARGET_SETTINGS).toEqual(targetSettings(workspaceSettings(undefined)));
    expect(DEFAULT_TARGET_SETTINGS.build.tagTemplates).toEqual(['{branch}']);
  });
});

describe('imageOfDockerfile', () => {
  it.each<[string, string, string | undefined]>([
    ['images/env-core/Dockerfile', DEFAULT_DOCKERFILES, 'env-core'],
    ['images/env-core/sub/Dockerfile', DEFAULT_DOCKERFILES, undefined],
    ['tools/nx-images/test/fixtures/tree/env-core/Dockerfile', DEFAULT_DOCKERFILES, undefined],
    ['images/env-core/Dockerfile.dev', DEFAULT_DOCKERFILES, undefined],
    ['containers/a/b/Dockerfile', 'containers/**/Dockerfile', 'b'],
  ])('%s with %s -> %s', (path, glob, image) => {
    expect(imageOfDockerfile(path, glob)).toBe(image);
  });
});

describe('variantOfDockerfile', () => {
  it.each<[string, string, ReturnType<typeof variantOfDockerfile>]>([
    ['images/pytorch-notebook/cuda12/Dockerfile', 'images/*/*/Dockerfile', { image: 'pytorch-notebook', variant: 'cuda12', project: 'pytorch-notebook-cuda12' }],
    ['fornax-hea/gpu/Dockerfile', '*/*/Dockerfile', { image: 'fornax-hea', variant: 'gpu', project: 'fornax-hea-gpu' }],
    ['images/pytorch-notebook/Dockerfile', 'images/*/*/Dockerfile', undefined],
    ['images/pytorch-notebook/cuda12/Dockerfile', '', undefined],
    ['images/a/b/c/Dockerfile', 'images/*/*/Dockerfile', undefined],
  ])('%s with %j -> %j', (path, glob, expected) => {
    expect(variantOfDockerfile(path, glob)).toEqual(expected);
  });
});

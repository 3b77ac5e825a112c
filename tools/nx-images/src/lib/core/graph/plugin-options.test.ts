import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { DEFAULT_DOCKERFILES, DEFAULT_TARGET_NAMES, imageOfDockerfile, isImagesPlugin, normalizePluginOptions, settingsFromOptions, targetSettings, variantOfDockerfile, workspaceSettings } from './plugin-options';
import { DEFAULT_BUILD_ARG_NAMES } from '../dockerfile/repository-images';
import { DEFAULT_TEST_RULE } from '../evidence/test-rule';

/** What no publish option gives: no mirrors, no lock command, and (before workspaceSettings) no publish branches. */
const NO_PUBLISH = { variants: '', tests: DEFAULT_TEST_RULE, mirrors: [], publishBranches: [], lockCommand: [], tagTemplates: ['{branch}'], buildArgTemplates: {}, versionScheme: { name: 'semver' } as const, targets: DEFAULT_TARGET_NAMES };
const FORNAX_TAGS = ['{branch}', 'sha-{sha:12}', '{time:%Y%m%d_%H%M}'];
const REAL = { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' };

describe('normalizePluginOptions', () => {
  it.each<[string, unknown, ReturnType<typeof normalizePluginOptions>]>([
    ['no options', undefined, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['an empty object', {}, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['another glob', { dockerfiles: 'containers/**/Dockerfile' }, { dockerfiles: 'containers/**/Dockerfile', buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['the real tree\'s args', { buildArgs: REAL }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: REAL, testCommand: [], ...NO_PUBLISH }],
    ['mirrors, publish branches and a lock command', { mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, variants: '', buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], tests: DEFAULT_TEST_RULE, mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'], tagTemplates: ['{branch}'], buildArgTemplates: {}, versionScheme: { name: 'semver' }, targets: DEFAULT_TARGET_NAMES }],
    ['a test command for every image', { testCommand: ['sh', 'run.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: ['sh', 'run.sh'], ...NO_PUBLISH }],
    ['Fornax\'s per-build tags and build version arg', { tags: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' } }],
    ['docker-stacks: no base tag arg, variants', { buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' }, variants: 'images/*/*/Dockerfile' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' }, testCommand: [], ...NO_PUBLISH, variants: 'images/*/*/Dockerfile' }],
    ['one arg renamed, the others kept', { buildArgs: { baseTag: 'BASE_TAG' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: { ...DEFAULT_BUILD_ARG_NAMES, baseTag: 'BASE_TAG' }, testCommand: [], ...NO_PUBLISH }],
    ['Fornax\'s calendar versions', { versionScheme: 'calver' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, versionScheme: { name: 'calver' } }],
    ['renamed targets, as Nx\'s plugins allow', { buildTargetName: 'image', releaseTargetName: 'tag-release', testTargetName: 'test.image' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, targets: { ...DEFAULT_TARGET_NAMES, build: 'image', release: 'tag-release', test: 'test.image' } }],
    ['versions by a pattern', { versionScheme: 'pattern', versionPattern: '^release-(\\d+)-(\\d+)$' }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH, versionScheme: { name: 'pattern', pattern: '^release-(\\d+)-(\\d+)$' } }],
  ])('%s', (_case, options, expected) => {
    expect(normalizePluginOptions(options)).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown option', { dockerfile: 'x/Dockerfile' }, /has no option "dockerfile": the options are dockerfiles, variants, buildArgs, testCommand, tests, mirrors, publishBranches, lockCommand, tags, buildArgTemplates, versionScheme, versionPattern, buildTargetName, testTargetName, releaseTargetName, releaseCheckTargetName, publishTargetName, diffTargetName\.$/],
    ['a glob of other files', { dockerfiles: 'images/*/Containerfile' }, /option dockerfiles "images\/\*\/Containerfile" is not a glob of Dockerfiles inside the workspace: give one like "images\/\*\/Dockerfile"\./],
    ['a glob leaving the workspace', { dockerfiles: '../other/*/Dockerfile' }, /is not a glob of Dockerfiles inside the workspace/],
    ['an absolute glob', { dockerfiles: '/images/*/Dockerfile' }, /is not a glob of Dockerfiles inside the workspace/],
    ['a glob that is no text', { dockerfiles: 3 }, /option dockerfiles 3 is not a glob/],
    ['buildArgs as a list', { buildArgs: ['REGISTRY'] }, /option buildArgs must be an object such as/],
    ['an unknown arg key', { buildArgs: { tag: 'TAG' } }, /option buildArgs has no "tag": its keys are registry, repository, imageTag, baseTag\./],
    ['no repository arg', { buildArgs: { repository: '' } }, /buildArgs\.repository "" is not a build arg name: use letters, digits and "_"\./],
    ['variants that are the images', { variants: 'images/*/Dockerfile' }, /option variants "images\/\*\/Dockerfile" is not a glob of Dockerfiles one folder below the images' \(<image>\/<variant>\/Dockerfile\): give one like "images\/\*\/\*\/Dockerfile"\./],
    ['variants leaving the workspace', { variants: '../x/*/*/Dockerfile' }, /option variants .* is not a glob of Dockerfiles one folder below/],
    ['variants that are no text', { variants: ['images/*/*/Dockerfile'] }, /option variants \[.*\] is not a glob/],
    ['an arg name with a dash', { buildArgs: { registry: 'MY-REGISTRY' } }, /buildArgs\.registry "MY-REGISTRY" is not a build arg name: use letters, digits and "_", or "" for none\./],
    ['an arg name with a command', { buildArgs: { baseTag: '$(id)' } }, /buildArgs\.baseTag "\$\(id\)" is not a build arg name/],
    ['one name for two args', { buildArgs: { baseTag: 'IMAGE_TAG' } }, /gives one name to two args \(REGISTRY, REPOSITORY, IMAGE_TAG, IMAGE_TAG\): give each its own\./],
    ['mirrors given as one string', { mirrors: 'a.example.org' }, /option mirrors must be a list of non-empty strings, e\.g\. \["123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/fornax"\]\./],
    ['an empty publish branch', { publishBranches: ['main', ' '] }, /option publishBranches must be a list of non-empty strings/],
    ['a test command that is no list of words', { testCommand: 'pytest -q' }, /option testCommand must be a list of non-empty strings, e\.g\. \["python", "-m", "pytest", "-q"\]\./],
    ['an unknown version scheme', { versionScheme: 'calendar' }, /^nx\.json: @fornax\/nx-images option versionScheme "calendar" is not a version scheme: use "semver"/],
    ['a pattern scheme with no pattern', { versionScheme: 'pattern' }, /option versionScheme "pattern" needs versionPattern/],
    ['a version pattern that does not compile', { versionScheme: 'pattern', versionPattern: '(\\d+' }, /option versionPattern "\(\\\\d\+" is not a regular expression/],
    ['tags given as one string', { tags: '{branch}' }, /option tags must be a list of tag templates, e\.g\. \["\{branch\}", "sha-\{sha:12\}", "\{time:%Y%m%d_%H%M\}"\]\./],
    ['no tags at all', { tags: [] }, /option tags must be a list of tag templates/],
    ['a tag template with an unknown placeholder', { tags: ['{branch}', 'v-{release}'] }, /option tags: "v-\{release\}": unknown placeholder \{release\}; the placeholders are/],
    ['a tag template naming the tag itself', { tags: ['{tag}'] }, /option tags: "\{tag\}": \{tag\} is the tag being made here/],
    ['build arg templates as a list', { buildArgTemplates: ['BUILD_VERSION'] }, /option buildArgTemplates must be an object of build arg name -> template/],
    ['a build arg template under a bad name', { buildArgTemplates: { 'BUILD-VERSION': '{tag}' } }, /option buildArgTemplates: "BUILD-VERSION" is not a build arg name/],
    ['a build arg template that is a number', { buildArgTemplates: { N: 3 } }, /option buildArgTemplates\.N must be a template string/],
    ['an unclosed build arg template', { buildArgTemplates: { BUILD_VERSION: '{image:{tag}' } }, /option buildArgTemplates\.BUILD_VERSION "\{image:\{tag\}": the "\{" at character 1 is not closed/],
    ['a target name with a space', { buildTargetName: 'docker build' }, /^nx\.json: @fornax\/nx-images option buildTargetName "docker build" is not a target name: use letters, digits, "_", "\." and "-", e\.g\. "docker-build"\.$/],
    ['a target name that could be an option', { releaseTargetName: '--all' }, /option releaseTargetName "--all" is not a target name/],
    ['a target name with a configuration', { testTargetName: 'test:ci' }, /option testTargetName "test:ci" is not a target name/],
    ['an empty target name', { publishTargetName: '' }, /option publishTargetName "" is not a target name/],
    ['a target name that is no text', { releaseCheckTargetName: 3 }, /option releaseCheckTargetName 3 is not a target name/],
    ['two targets of one name', { buildTargetName: 'release' }, /^nx\.json: @fornax\/nx-images names two targets "release": give each of buildTargetName, testTargetName, releaseTargetName, releaseCheckTargetName, publishTargetName, diffTargetName its own name\.$/],
    ['a diff target named like another', { diffTargetName: 'publish' }, /names two targets "publish"/],
    ['a diff target name with a space', { diffTargetName: 'image diff' }, /option diffTargetName "image diff" is not a target name: use letters, digits, "_", "\." and "-", e\.g\. "image-diff"\.$/],
    ['options that are a list', ['images/*/Dockerfile'], /the options of @fornax\/nx-images must be an object, e.g. \{ "dockerfiles": "images\/\*\/Dockerfile" \}\./],
  ])('refuses %s in one line', (_case, options, message) => {
    const call = () => normalizePluginOptions(options);
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
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
      plugins: ['@nx/js', { plugin: './tools/nx-images', options: { tags: ['{branch}', 'sha-{sha:7}'] } }, { plugin: '@fornax/nx-images', options: { tags: ['{branch}', 'x-{sha:7}'] } }],
    });
    expect(settings.tagTemplates).toEqual(['{branch}', 'sha-{sha:7}']);
  });

  it('asks the caller about a path it cannot place (the I/O layer reads its package.json)', () => {
    const nxJson = { plugins: [{ plugin: './plugins/images', options: { buildTargetName: 'image' } }] };
    expect(workspaceSettings(nxJson).targets.build).toBe('docker-build');
    expect(workspaceSettings(nxJson, (plugin) => plugin === './plugins/images').targets.build).toBe('image');
  });
});

describe('settingsFromOptions: what a target carries, read back', () => {
  const fromNxJson = workspaceSettings({
    defaultBase: 'develop',
    plugins: [{ plugin: '@fornax/nx-images', options: { buildArgs: REAL, tags: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' }, lockCommand: ['sh', '/x.sh'], mirrors: ['m.example.org/o'], testCommand: ['sh', 'run.sh'], tests: { path: 'tests/test_{name_}.py' }, testTargetName: 'check' } }],
  });
  const written = targetSettings(fromNxJson);

  it('gives docker-build back every setting it reads', () => {
    const settings = settingsFromOptions(written.build, 'docker-build');
    expect(settings).toMatchObject({ buildArgs: REAL, tagTemplates: FORNAX_TAGS, buildArgTemplates: { BUILD_VERSION: '{image}:{tag}' }, lockCommand: ['sh', '/x.sh'], defaultBranch: 'develop' });
    expect(settings.targets.test).toBe('check');
  });

  it('gives the test target its rule and command, and the releases their mirrors', () => {
    expect(settingsFromOptions(written.test, 'image-test')).toMatchObject({ tests: { path: 'tests/test_{name_}.py', run: 'image' }, testCommand: ['sh', 'run.sh'], buildArgs: REAL });
    expect(settingsFromOptions(written.release, 'release').mirrors).toEqual(['m.example.org/o']);
    expect(settingsFromOptions(written.publish, 'publish').mirrors).toEqual(['m.example.org/o']);
  });

  it('writes a version scheme only when nx.json chose one other than semver', () => {
    expect(written.release).not.toHaveProperty('versionScheme');
    const calver = targetSettings(workspaceSettings({ plugins: [{ plugin: '@fornax/nx-images', options: { versionScheme: 'calver' } }] }));
    expect(calver.release).toMatchObject({ versionScheme: 'calver' });
    const pattern = targetSettings(workspaceSettings({ plugins: [{ plugin: '@fornax/nx-images', options: { versionScheme: 'pattern', versionPattern: '^r(\\d+)$' } }] }));
    expect(pattern.release).toMatchObject({ versionScheme: 'pattern', versionPattern: '^r(\\d+)$' });
  });

  it('fills in the defaults for a target that carries nothing (a project.json that removed them)', () => {
    expect(settingsFromOptions({}, 'docker-build')).toEqual(workspaceSettings(undefined));
  });

  it('takes a project.json override of one option, keeping the others', () => {
    const settings = settingsFromOptions({ ...written.build, tags: ['{branch}', 'nightly-{time:%Y%m%d}'] }, 'docker-build');
    expect(settings.tagTemplates).toEqual(['{branch}', 'nightly-{time:%Y%m%d}']);
    expect(settings.buildArgs).toEqual(REAL);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['arg names with a dash', { buildArgNames: { registry: 'MY-REG' } }, /^docker-build: option buildArgNames\.registry "MY-REG" is not a build arg name/],
    ['arg names as a list', { buildArgNames: ['REGISTRY'] }, /^docker-build: option buildArgNames must be an object such as/],
    ['a lock command as one string', { lockCommand: 'sh x.sh' }, /^docker-build: option lockCommand must be a list of non-empty strings/],
    ['an unknown tag placeholder', { tags: ['{release}'] }, /^docker-build: option tags: "\{release\}": unknown placeholder/],
    ['an empty default branch', { defaultBranch: ' ' }, /^docker-build: option defaultBranch " " is no branch: remove it \(the plugin sets it from nx\.json's defaultBase\), or name a branch\.$/],
    ['a default branch that is no text', { defaultBranch: 7 }, /option defaultBranch 7 is no branch/],
    ['a test target that could be an option', { testTargetName: '--all' }, /^docker-build: option testTargetName "--all" is not a target name/],
    ['mirrors as one string', { pluginMirrors: 'm.example.org' }, /^docker-build: option pluginMirrors must be a list/],
    ['a tests rule with an unknown key', { tests: { where: 'x' } }, /^docker-build: option tests has no "where"/],
  ])('refuses %s in one line', (_case, options, message) => {
    const call = () => settingsFromOptions(options, 'docker-build');
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
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

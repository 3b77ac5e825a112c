import { describe, expect, it } from 'vitest';
import { UserError } from './errors';
import { DEFAULT_DOCKERFILES, imageOfDockerfile, normalizePluginOptions, workspaceSettings } from './plugin-options';
import { DEFAULT_BUILD_ARG_NAMES } from './repository-images';

/** What no publish option gives: no mirrors, no lock command, and (before workspaceSettings) no publish branches. */
const NO_PUBLISH = { mirrors: [], publishBranches: [], lockCommand: [] };
const REAL = { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' };

describe('normalizePluginOptions', () => {
  it.each<[string, unknown, ReturnType<typeof normalizePluginOptions>]>([
    ['no options', undefined, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['an empty object', {}, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['another glob', { dockerfiles: 'containers/**/Dockerfile' }, { dockerfiles: 'containers/**/Dockerfile', buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], ...NO_PUBLISH }],
    ['the real tree\'s args', { buildArgs: REAL }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: REAL, testCommand: [], ...NO_PUBLISH }],
    ['mirrors, publish branches and a lock command', { mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: [], mirrors: ['ecr.example.org/fornax'], publishBranches: ['main', 'develop'], lockCommand: ['sh', '/x.sh'] }],
    ['a test command for every image', { testCommand: ['sh', 'run.sh'] }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: DEFAULT_BUILD_ARG_NAMES, testCommand: ['sh', 'run.sh'], ...NO_PUBLISH }],
    ['one arg renamed, the others kept', { buildArgs: { baseTag: 'BASE_TAG' } }, { dockerfiles: DEFAULT_DOCKERFILES, buildArgs: { ...DEFAULT_BUILD_ARG_NAMES, baseTag: 'BASE_TAG' }, testCommand: [], ...NO_PUBLISH }],
  ])('%s', (_case, options, expected) => {
    expect(normalizePluginOptions(options)).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown option', { dockerfile: 'x/Dockerfile' }, /has no option "dockerfile": the options are dockerfiles, buildArgs, testCommand, mirrors, publishBranches, lockCommand\.$/],
    ['a glob of other files', { dockerfiles: 'images/*/Containerfile' }, /option dockerfiles "images\/\*\/Containerfile" is not a glob of Dockerfiles inside the workspace: give one like "images\/\*\/Dockerfile"\./],
    ['a glob leaving the workspace', { dockerfiles: '../other/*/Dockerfile' }, /is not a glob of Dockerfiles inside the workspace/],
    ['an absolute glob', { dockerfiles: '/images/*/Dockerfile' }, /is not a glob of Dockerfiles inside the workspace/],
    ['a glob that is no text', { dockerfiles: 3 }, /option dockerfiles 3 is not a glob/],
    ['buildArgs as a list', { buildArgs: ['REGISTRY'] }, /option buildArgs must be an object such as/],
    ['an unknown arg key', { buildArgs: { tag: 'TAG' } }, /option buildArgs has no "tag": its keys are registry, repository, imageTag, baseTag\./],
    ['no repository arg', { buildArgs: { repository: '' } }, /buildArgs\.repository "" is not a build arg name: use letters, digits and "_"\./],
    ['no base tag arg', { buildArgs: { baseTag: '' } }, /buildArgs\.baseTag "" is not a build arg name/],
    ['an arg name with a dash', { buildArgs: { registry: 'MY-REGISTRY' } }, /buildArgs\.registry "MY-REGISTRY" is not a build arg name: use letters, digits and "_", or "" for none\./],
    ['an arg name with a command', { buildArgs: { baseTag: '$(id)' } }, /buildArgs\.baseTag "\$\(id\)" is not a build arg name/],
    ['one name for two args', { buildArgs: { baseTag: 'IMAGE_TAG' } }, /gives one name to two args \(REGISTRY, REPOSITORY, IMAGE_TAG, IMAGE_TAG\): give each its own\./],
    ['mirrors given as one string', { mirrors: 'a.example.org' }, /option mirrors must be a list of non-empty strings, e\.g\. \["123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/fornax"\]\./],
    ['an empty publish branch', { publishBranches: ['main', ' '] }, /option publishBranches must be a list of non-empty strings/],
    ['a test command that is no list of words', { testCommand: 'pytest -q' }, /option testCommand must be a list of non-empty strings, e\.g\. \["python", "-m", "pytest", "-q"\]\./],
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

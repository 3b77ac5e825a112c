import { describe, expect, it } from 'vitest';
import { buildDependencies, stepsBeforeBuild, dockerfileDependencies, imageTargetNames, inferImageProject, isImageProject } from './image-project';
import { sharedTargetNames } from './image-graph';
import { workspaceSettings } from './plugin-entry';
import { targetSettings } from './target-settings';
import type { Problem } from '../errors';

describe('inferImageProject', () => {
  it('makes an image project with the image targets and a task dependency per image read', () => {
    const project = inferImageProject('fornax-hea', 'images/fornax-hea/Dockerfile', ['env-heasoft', 'fornax-base']);
    expect(project.name).toBe('fornax-hea');
    expect(project.tags).toEqual(['type:image']);
    expect(Object.keys(project.targets)).toEqual(['docker-build', 'release-check', 'release', 'publish', 'image-diff']);
    expect(project.targets['docker-build'].dependsOn).toEqual([
      { projects: ['env-heasoft'], target: 'docker-build', params: 'forward' },
      { projects: ['fornax-base'], target: 'docker-build', params: 'forward' },
    ]);
    expect(project.targets.release.dependsOn).toEqual([{ projects: ['tag:type:image'], target: 'release-check', params: 'forward' }]);
    expect(Object.values(project.targets).map((target) => target.cache)).toEqual([false, false, false, false, false]);
    expect(isImageProject(project)).toBe(true);
    expect(buildDependencies(project)).toEqual(['env-heasoft', 'fornax-base']);
    expect(dockerfileDependencies(project)).toEqual(['env-heasoft', 'fornax-base']);
  });

  it('has no dependency for an image that reads none of ours', () => {
    const project = inferImageProject('jupyter-base', 'images/jupyter-base/Dockerfile', []);
    expect(project.targets['docker-build'].dependsOn).toEqual([]);
    expect(project.targets['docker-build'].metadata.description).not.toContain('builds after');
  });
});

describe('inferImageProject with nx.json\'s options', () => {
  const settings = workspaceSettings({
    defaultBase: 'develop',
    plugins: [{ plugin: './tools/nx-images', options: { buildTargetName: 'image', releaseTargetName: 'tag-release', releaseCheckTargetName: 'check-release', testTargetName: 'test-image', publishTargetName: 'mirror', diffTargetName: 'compare', tagTemplates: ['{branch}', 'sha-{sha:7}'], mirrors: ['m.example.org/o'] } }],
  });
  const project = inferImageProject('fornax-hea', 'images/fornax-hea/Dockerfile', ['fornax-base'], true, undefined, settings);
  const targets = project.targets as Record<string, { dependsOn?: unknown[]; options?: Record<string, unknown> }>;

  it('names every target, and every dependency between them, as configured', () => {
    expect(Object.keys(targets)).toEqual(['image', 'check-release', 'test-image', 'tag-release', 'mirror', 'compare']);
    expect(targets.compare).toMatchObject({ executor: '@fornax/nx-images:image-diff' });
    expect(targets.image?.dependsOn).toEqual([{ projects: ['fornax-base'], target: 'image', params: 'forward' }]);
    expect(targets['test-image']?.dependsOn).toEqual([{ target: 'image', params: 'forward' }]);
    expect(targets['tag-release']?.dependsOn).toEqual([{ projects: ['tag:type:image'], target: 'check-release', params: 'forward' }]);
    expect(imageTargetNames(project)).toEqual({ build: 'image', test: 'test-image', release: 'tag-release', releaseCheck: 'check-release', publish: 'mirror', diff: 'compare' });
  });

  it('gives each target one settings option, exactly its executor\'s part of nx.json', () => {
    const own = targetSettings(settings);
    expect(targets.image?.options).toEqual({ settings: own.build });
    expect(own.build).toMatchObject({ tagTemplates: ['{branch}', 'sha-{sha:7}'], defaultBranch: 'develop', testTarget: 'test-image', buildArgNames: { repository: 'REPOSITORY' } });
    expect(targets['tag-release']?.options).toEqual({ settings: own.release });
    expect(targets['check-release']?.options).toEqual({ settings: own.release });
    expect(targets.mirror?.options).toEqual({ settings: { mirrors: ['m.example.org/o'] } });
  });

  it('reads its own dependencies by the configured build target', () => {
    expect(buildDependencies(project)).toEqual(['fornax-base']);
    expect(dockerfileDependencies(project)).toEqual(['fornax-base']);
    const withStep = { ...project, targets: { ...targets, image: { ...targets.image, dependsOn: [...(targets.image?.dependsOn ?? []), 'prepare', 'fornax-hea:image'] } } };
    expect(stepsBeforeBuild(withStep)).toEqual(['prepare']);
    expect(buildDependencies(withStep)).toEqual(['fornax-base', 'fornax-hea']);
  });

  it('keeps a variant\'s identity next to the settings', () => {
    const variant = inferImageProject('fornax-hea-gpu', 'images/fornax-hea/gpu/Dockerfile', [], false, { image: 'fornax-hea', variant: 'gpu' }, settings);
    expect((variant.targets as typeof targets).image?.options).toEqual({ image: 'fornax-hea', variant: 'gpu', settings: targetSettings(settings).build });
  });
});

describe('sharedTargetNames', () => {
  const renamed = workspaceSettings({ plugins: [{ plugin: '@fornax/nx-images', options: { buildTargetName: 'image' } }] });
  it('reads the names the images share, the defaults for no image', () => {
    const projects = { a: inferImageProject('a', 'images/a/Dockerfile', [], false, undefined, renamed), b: inferImageProject('b', 'images/b/Dockerfile', [], false, undefined, renamed), tool: { tags: ['type:tool'] } };
    expect(sharedTargetNames(projects).build).toBe('image');
    expect(sharedTargetNames({}).build).toBe('docker-build');
  });
  it('refuses images named differently in one line', () => {
    const projects = { a: inferImageProject('a', 'images/a/Dockerfile', [], false, undefined, renamed), b: inferImageProject('b', 'other/b/Dockerfile', []) };
    expect(() => sharedTargetNames(projects)).toThrow(
      expect.objectContaining({ subject: 'nx.json', problem: 'a and b name their build target differently (image, docker-build), so CI cannot run it by one name', fix: 'give every registration of the plugin in nx.json the same buildTargetName' }),
    );
  });
});

describe('buildDependencies', () => {
  const withDependsOn = (dependsOn: unknown[]) => ({ targets: { 'docker-build': { dependsOn } } });

  it.each<[string, unknown[], string[]]>([
    ['object entries, each image once', [{ projects: ['a', 'b'], target: 'docker-build' }, { projects: ['a'], target: 'docker-build' }], ['a', 'b']],
    ['a projects string', [{ projects: 'a', target: 'docker-build' }], ['a']],
    ['"<project>:docker-build" strings', ['a:docker-build', 'b:docker-build'], ['a', 'b']],
    ['other targets are no image dependency', [{ projects: ['a'], target: 'lint' }, 'b:lint', '^docker-build', 'docker-build'], []],
    ['the "..." of a project.json is no image', ['...', { projects: ['a'], target: 'docker-build' }], ['a']],
    ['nothing', [], []],
  ])('%s', (_case, dependsOn, images) => {
    expect(buildDependencies(withDependsOn(dependsOn))).toEqual(images);
  });

  it('reads none from a project without docker-build', () => {
    expect(buildDependencies({ targets: {} })).toEqual([]);
    expect(dockerfileDependencies({})).toEqual([]);
  });
});

describe('buildDependencies and stepsBeforeBuild: images apart from the image\'s own steps', () => {
  const project = (dependsOn: unknown[]) => ({ name: 'fornax-jupyter', root: 'images/fornax-jupyter', targets: { 'docker-build': { dependsOn } } });

  it.each<[string, unknown[], string[], string[]]>([
    ['a target of its own, as a string', ['...', 'prepare'], [], ['prepare']],
    ['a target of its own, as an object', [{ target: 'prepare', params: 'ignore' }], [], ['prepare']],
    ['"<self>:<target>" and projects: self', ['fornax-jupyter:kernels', { projects: 'self', target: 'docs' }, { projects: ['fornax-jupyter'], target: 'x.y-z' }], [], ['kernels', 'docs', 'x.y-z']],
    ['steps in the order written, each once', ['b', 'a', { target: 'b' }], [], ['b', 'a']],
    ['an image and a step together', [{ projects: ['env-core'], target: 'docker-build', params: 'forward' }, 'prepare'], ['env-core'], ['prepare']],
    ['its own docker-build is itself, a cycle for the image graph', ['docker-build', { target: 'docker-build' }, 'fornax-jupyter:docker-build'], ['fornax-jupyter'], []],
    ['"^target" and dependencies: true are neither', ['^prepare', '^docker-build', { dependencies: true, target: 'docker-build' }, { projects: 'dependencies', target: 'x' }], [], []],
    ['another project\'s other target is neither', ['env-core:prepare', { projects: ['env-core'], target: 'lint' }, { projects: 'tag:type:image', target: 'lint' }], [], []],
    ['a target with a colon of its own', [{ target: 'build:kernels' }], [], ['build:kernels']],
    ['unicode and long names pass through', [{ projects: ['ünï'], target: 'docker-build' }, 'p'.repeat(300)], ['ünï'], ['p'.repeat(300)]],
  ])('%s', (_case, dependsOn, images, steps) => {
    expect(buildDependencies(project(dependsOn))).toEqual(images);
    expect(stepsBeforeBuild(project(dependsOn))).toEqual(steps);
  });

  const where = { image: 'fornax-jupyter', subject: 'the docker-build dependsOn of images/fornax-jupyter/project.json' };
  const cannotRead = (entry: string) => ({ ...where, problem: `it has an entry this plugin cannot read (${entry})`, fix: expect.stringMatching(/^write "<target>"/) as unknown as string });
  it.each<[string, unknown[], Partial<Problem>]>([
    ['a tag pattern', [{ projects: ['tag:type:image'], target: 'docker-build' }], { ...where, problem: 'it names images by the pattern "tag:type:image"', fix: expect.stringMatching(/^name each image/) as string }],
    ['a glob', [{ projects: 'env-*', target: 'docker-build' }], { ...where, problem: 'it names images by the pattern "env-*"' }],
    ['a negation', [{ projects: ['!env-core'], target: 'docker-build' }], { ...where, problem: 'it names images by the pattern "!env-core"' }],
    ['an object without a target', [{ projects: ['env-core'] }], cannotRead('{"projects":["env-core"]}')],
    ['an empty target', [{ target: '' }], cannotRead('{"target":""}')],
    ['a number', [42], cannotRead('42')],
    ['null', [null], cannotRead('null')],
    ['projects of the wrong type', [{ projects: 3, target: 'docker-build' }], cannotRead('{"projects":3,"target":"docker-build"}')],
    ['a project that is no string', [{ projects: [7], target: 'docker-build' }], { ...where, problem: 'it names a project that is not a string (7)', fix: 'write each image\'s name' }],
  ])('refuses %s in one line', (_case, dependsOn, fields) => {
    expect(() => buildDependencies(project(dependsOn))).toThrow(expect.objectContaining(fields));
    expect(() => stepsBeforeBuild(project(dependsOn))).toThrow(/^fornax-jupyter: the docker-build dependsOn of images\/fornax-jupyter\/project\.json: [^\n]+\.$/);
  });

  it('names the project.json to fix when Nx left its placeholder for a base it could not name (a project.json without "name")', () => {
    const call = () => buildDependencies(project([{ projects: [{ value: 'images/tool' }], target: 'docker-build' }]));
    expect(call).toThrow(expect.objectContaining({ subject: 'images/tool/project.json', problem: 'it gives the project no "name", so Nx cannot name it where fornax-jupyter builds on it', fix: 'add "name": "tool" to it' }));
  });
});

describe('isImageProject', () => {
  it.each([
    [{ tags: ['type:image'] }, true],
    [{ tags: ['type:tooling'] }, false],
    [{}, false],
  ])('%j -> %s', (project, expected) => {
    expect(isImageProject(project)).toBe(expected);
  });
});

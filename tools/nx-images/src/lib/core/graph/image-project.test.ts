import { describe, expect, it } from 'vitest';
import { buildDependencies, buildSteps, dockerfileDependencies, inferImageProject, isImageProject } from './image-project';

describe('inferImageProject', () => {
  it('makes an image project with the image targets and a task dependency per image read', () => {
    const project = inferImageProject('fornax-hea', 'images/fornax-hea/Dockerfile', ['env-heasoft', 'fornax-base']);
    expect(project.name).toBe('fornax-hea');
    expect(project.tags).toEqual(['type:image']);
    expect(Object.keys(project.targets)).toEqual(['docker-build', 'release-check', 'release', 'publish']);
    expect(project.targets['docker-build'].dependsOn).toEqual([
      { projects: ['env-heasoft'], target: 'docker-build', params: 'forward' },
      { projects: ['fornax-base'], target: 'docker-build', params: 'forward' },
    ]);
    expect(project.targets.release.dependsOn).toEqual([{ projects: ['tag:type:image'], target: 'release-check', params: 'forward' }]);
    expect(Object.values(project.targets).map((target) => target.cache)).toEqual([false, false, false, false]);
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

describe('buildDependencies and buildSteps: images apart from the image\'s own steps', () => {
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
    expect(buildSteps(project(dependsOn))).toEqual(steps);
  });

  it.each<[string, unknown[], RegExp]>([
    ['a tag pattern', [{ projects: ['tag:type:image'], target: 'docker-build' }], /^fornax-jupyter: the docker-build dependsOn of images\/fornax-jupyter\/project\.json names images by the pattern "tag:type:image": name each image/],
    ['a glob', [{ projects: 'env-*', target: 'docker-build' }], /names images by the pattern "env-\*"/],
    ['a negation', [{ projects: ['!env-core'], target: 'docker-build' }], /names images by the pattern "!env-core"/],
    ['an object without a target', [{ projects: ['env-core'] }], /has an entry this plugin cannot read \(\{"projects":\["env-core"\]\}\): write "<target>"/],
    ['an empty target', [{ target: '' }], /cannot read/],
    ['a number', [42], /cannot read \(42\)/],
    ['null', [null], /cannot read \(null\)/],
    ['projects of the wrong type', [{ projects: 3, target: 'docker-build' }], /cannot read/],
    ['a project that is no string', [{ projects: [7], target: 'docker-build' }], /names a project that is not a string \(7\)/],
  ])('refuses %s in one line', (_case, dependsOn, message) => {
    expect(() => buildDependencies(project(dependsOn))).toThrow(message);
    expect(() => buildSteps(project(dependsOn))).toThrow(/^[^\n]+$/);
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

import { describe, expect, it } from 'vitest';
import { buildDependencies, dockerfileDependencies, inferImageProject, isImageProject } from './image-project';

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

describe('isImageProject', () => {
  it.each([
    [{ tags: ['type:image'] }, true],
    [{ tags: ['type:tooling'] }, false],
    [{}, false],
  ])('%j -> %s', (project, expected) => {
    expect(isImageProject(project)).toBe(expected);
  });
});

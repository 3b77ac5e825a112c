import { describe, expect, it } from 'vitest';
import { FORNAX_TREE } from '../../../../test/fixtures/fornax-tree';
import { UserError } from '../errors';
import { findCycle, imageGraph, levelsOf } from './image-graph';
import { inferImageProject, type ProjectLike } from './image-project';

/** The real Fornax tree. */
const FORNAX = FORNAX_TREE;

/** Adds a dependency to an image's docker-build, as a project.json with "..." would. */
function addDependency(all: Record<string, ProjectLike>, image: string, dependency: string): void {
  const build = all[image]?.targets?.['docker-build'];
  if (build) build.dependsOn = [...(build.dependsOn ?? []), { projects: [dependency], target: 'docker-build' }];
}

function projects(tree: Record<string, string[]>): Record<string, ProjectLike> {
  const all: Record<string, ProjectLike> = Object.fromEntries(
    Object.entries(tree).map(([name, takesFrom]) => [name, { root: `images/${name}`, ...inferImageProject(name, `images/${name}/Dockerfile`, takesFrom) }]),
  );
  all['nx-images'] = { root: 'tools/nx-images', tags: ['type:tooling'], targets: { test: {} } };
  return all;
}

describe('imageGraph', () => {
  it('reads every image and what it takes from, and leaves other projects out', () => {
    const graph = imageGraph(projects(FORNAX));
    expect(graph.images).toEqual(Object.keys(FORNAX).sort());
    expect(graph.takesFrom['fornax-hea']).toEqual(['env-ciao', 'env-fermi', 'env-heasoft', 'env-sas', 'fornax-base']);
    expect(graph.takesFrom['jupyter-base']).toEqual([]);
  });

  it('adds a dependency a project.json declares with "..."', () => {
    const all = projects(FORNAX);
    const jupyter = all['fornax-jupyter'];
    const build = jupyter?.targets?.['docker-build'];
    if (!build?.dependsOn) throw new Error('no docker-build');
    build.dependsOn = [...build.dependsOn, { projects: ['env-core', 'env-heasoft'], target: 'docker-build' }];
    expect(imageGraph(all).takesFrom['fornax-jupyter']).toEqual(['archive-nb', 'env-core', 'env-heasoft', 'fornax-base', 'fornax-nb']);
  });

  it.each<[string, (all: Record<string, ProjectLike>) => void, RegExp]>([
    [
      'a dependency on a project that is no image',
      (all) => addDependency(all, 'env-core', 'nx-images'),
      /^env-core: its docker-build depends on nx-images, which is no image of this repository: name images from archive-nb, .* in the dependsOn of images\/env-core\/project\.json\.$/,
    ],
    [
      'a project.json that replaced the Dockerfile\'s dependencies',
      (all) => {
        const build = all['env-sas']?.targets?.['docker-build'];
        if (build) build.dependsOn = [{ projects: ['env-core'], target: 'docker-build' }];
      },
      /^env-sas: its Dockerfile reads env-heasoft, fornax-base, but the docker-build dependsOn in images\/env-sas\/project\.json replaces that: start the list with "\.\.\." to add to what the Dockerfile gives\.$/,
    ],
    [
      'a cycle, named image by image',
      (all) => addDependency(all, 'fornax-base', 'env-sas'),
      /^fornax-base: the images fornax-base -> env-sas -> env-heasoft -> fornax-base take from each other in a cycle: remove one of these FROM, COPY --from or declared dependencies\.$/,
    ],
    [
      'an image that takes from itself',
      (all) => addDependency(all, 'env-core', 'env-core'),
      /the images env-core -> env-core take from each other in a cycle/,
    ],
  ])('refuses %s in one line', (_case, change, message) => {
    const all = projects(FORNAX);
    change(all);
    const call = () => imageGraph(all);
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });
});

describe('findCycle', () => {
  it.each<[string, Record<string, string[]>, string[] | undefined]>([
    ['none in a tree', FORNAX, undefined],
    ['none in a diamond', { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, undefined],
    ['a long cycle', { a: ['d'], b: ['a'], c: ['b'], d: ['c'] }, ['a', 'd', 'c', 'b', 'a']],
    ['a cycle away from the start', { a: [], b: ['a', 'c'], c: ['b'] }, ['b', 'c', 'b']],
  ])('%s', (_case, tree, cycle) => {
    expect(findCycle(Object.keys(tree), tree)).toEqual(cycle);
  });
});

describe('levelsOf', () => {
  const graph = imageGraph(projects(FORNAX));

  it.each<[string, string[], string[][]]>([
    [
      'the whole tree: four levels',
      Object.keys(FORNAX),
      [
        ['jupyter-base'],
        ['fornax-base'],
        ['archive-nb', 'env-ciao', 'env-core', 'env-fermi', 'env-heasoft', 'fornax-nb'],
        ['env-sas', 'fornax-jupyter', 'fornax-main'],
        ['fornax-hea'],
      ],
    ],
    ['a mid-level image and a top image built from it', ['env-heasoft', 'fornax-hea'], [['env-heasoft'], ['fornax-hea']]],
    ['a base alone', ['fornax-base'], [['fornax-base']]],
    ['two images that take nothing from each other: one level', ['env-core', 'env-ciao'], [['env-ciao', 'env-core']]],
    ['a chain through an image not in the run does not wait', ['env-heasoft', 'fornax-hea', 'fornax-base'], [['fornax-base'], ['env-heasoft'], ['fornax-hea']]],
    ['nothing', [], []],
  ])('%s', (_case, subset, levels) => {
    expect(levelsOf(graph, subset)).toEqual(levels);
  });

  it('levels an image by its deepest base in the run', () => {
    expect(levelsOf(graph, ['env-heasoft', 'env-sas', 'fornax-hea'])).toEqual([['env-heasoft'], ['env-sas'], ['fornax-hea']]);
  });
});

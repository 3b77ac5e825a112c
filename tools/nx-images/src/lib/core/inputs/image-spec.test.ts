import { describe, expect, it } from 'vitest';
import type { ProjectLike } from '../graph/image-project';
import { contextCheckOf, stepOutputs } from './image-spec';

const PREPARE = '@fornax/nx-images:prepare';
const project = (targets: ProjectLike['targets'], root = 'fornax-jupyter'): ProjectLike => ({ name: 'fornax-jupyter', root, targets });

describe('stepOutputs', () => {
  // Each row: the project's targets, then what its steps before the build declare they write, from the workspace root.
  it.each<[string, ProjectLike['targets'], string[]]>([
    ['no step', { 'docker-build': {} }, []],
    [
      'a prepare step\'s copy and extract, from the image\'s folder',
      {
        prepare: { executor: PREPARE, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }], extract: [{ image: 'env-core', path: '/opt/k', to: 'kernels/env-core' }] } },
        'docker-build': { dependsOn: ['...', 'prepare'] },
      },
      ['fornax-jupyter/introduction.md', 'fornax-jupyter/kernels/env-core'],
    ],
    ['a prepare target the build does not depend on writes nothing before it', { prepare: { executor: PREPARE, options: { copy: [{ from: 'a', to: 'a' }] } }, 'docker-build': {} }, []],
    ['another executor\'s outputs', { gen: { executor: 'nx:run-commands', outputs: ['{projectRoot}/generated', '{workspaceRoot}/shared/x'] }, 'docker-build': { dependsOn: ['gen'] } }, ['fornax-jupyter/generated', 'shared/x']],
    ['an output with a placeholder it cannot fill is left out', { gen: { executor: 'nx:run-commands', outputs: ['{options.outputPath}'] }, 'docker-build': { dependsOn: ['gen'] } }, []],
    ['entries with no "to", or an empty one, are left out', { prepare: { executor: PREPARE, options: { copy: [{ from: 'a' }, { from: 'b', to: ' ' }, { from: 'c', to: 'c' }] } }, 'docker-build': { dependsOn: ['prepare'] } }, ['fornax-jupyter/c']],
    ['each once', { prepare: { executor: PREPARE, options: { copy: [{ from: 'a', to: 'a' }] }, outputs: ['{projectRoot}/a'] }, 'docker-build': { dependsOn: ['prepare'] } }, ['fornax-jupyter/a']],
  ])('%s', (_case, targets, expected) => {
    expect(stepOutputs(project(targets))).toEqual(expected);
  });
});

describe('contextCheckOf', () => {
  const files = [{ path: 'fornax-jupyter/Dockerfile', mode: '100644', id: '1' }, { path: 'fornax-jupyter/.dockerignore', mode: '100644', id: '2' }];
  const texts: Record<string, string> = { 'fornax-jupyter/Dockerfile': 'FROM scratch\nCOPY a /a\n', 'fornax-jupyter/.dockerignore': '*.log\n' };
  const source = { files, text: (path: string) => texts[path] };

  it('reads the Dockerfile, its context, its ignore file and the declared outputs', () => {
    const targets = { prepare: { executor: PREPARE, options: { copy: [{ from: 'a', to: 'a' }] } }, 'docker-build': { dependsOn: ['prepare'], options: { target: 'prod' } } };
    expect(contextCheckOf('fornax-jupyter', project(targets), source)).toEqual({
      image: 'fornax-jupyter',
      dockerfile: 'fornax-jupyter/Dockerfile',
      text: 'FROM scratch\nCOPY a /a\n',
      context: 'fornax-jupyter',
      files,
      ignoreFile: '*.log\n',
      declared: ['fornax-jupyter/a'],
      target: 'prod',
    });
  });

  it('a Dockerfile the tree lacks: nothing to check', () => {
    expect(contextCheckOf('other', project({}, 'other'), source)).toBeUndefined();
  });
});

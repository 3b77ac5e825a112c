import { describe, expect, it } from 'vitest';
import { contextPlan, gitignoreWith, withPrepareStep, type ContextImage, type PrepareCopies } from './context-steps';

const PREPARE = '@fornax/nx-images:prepare';

describe('contextPlan', () => {
  // Each row: the repository's files (path -> text; '' for a file whose text is not read), the images' project.json, then the steps and the reports.
  it.each<[string, Record<string, string>, Record<string, unknown>, { prepare: Pick<PrepareCopies, 'image' | 'target' | 'copies'>[]; unresolved: string[] }]>([
    [
      'fornax-jupyter: two root files become one prepare step; kernels/, found nowhere, is reported',
      {
        'fornax-jupyter/Dockerfile': 'FROM scratch\nCOPY kernels/ /opt/kernels/\nCOPY introduction.md changes.md /opt/\n',
        'introduction.md': '',
        'changes.md': '',
      },
      {},
      {
        prepare: [{ image: 'fornax-jupyter', target: 'prepare', copies: [{ from: 'introduction.md', to: 'introduction.md' }, { from: 'changes.md', to: 'changes.md' }] }],
        unresolved: ['fornax-jupyter:2:kernels/:missing'],
      },
    ],
    [
      'a step already declared: nothing to write, nothing to report',
      { 'fornax-jupyter/Dockerfile': 'FROM scratch\nCOPY introduction.md /opt/\n', 'introduction.md': '' },
      { 'fornax-jupyter': { targets: { prepare: { executor: PREPARE, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } }, 'docker-build': { dependsOn: ['...', 'prepare'] } } } },
      { prepare: [], unresolved: [] },
    ],
    [
      'an extract already declared covers the kernels',
      { 'fornax-jupyter/Dockerfile': 'FROM scratch\nCOPY kernels/ /opt/kernels/\n' },
      { 'fornax-jupyter': { targets: { prepare: { executor: PREPARE, options: { extract: [{ image: 'env-core', path: '/opt/k', to: 'kernels/env-core' }] } }, 'docker-build': { dependsOn: ['prepare'] } } } },
      { prepare: [], unresolved: [] },
    ],
    [
      'a root folder is copied whole',
      { 'a/Dockerfile': 'FROM scratch\nCOPY docs /docs\n', 'docs/index.md': '', docs: '' },
      {},
      { prepare: [{ image: 'a', target: 'prepare', copies: [{ from: 'docs', to: 'docs' }] }], unresolved: [] },
    ],
    [
      'a source in the context: nothing to do',
      { 'a/Dockerfile': 'FROM scratch\nCOPY stamp.txt /s\n', 'a/stamp.txt': '', 'stamp.txt': '' },
      {},
      { prepare: [], unresolved: [] },
    ],
    [
      'a file the image\'s .dockerignore leaves out is reported, not copied',
      { 'a/Dockerfile': 'FROM scratch\nCOPY notes.md /n\n', 'a/notes.md': '', 'a/.dockerignore': '*.md\n', 'notes.md': '' },
      {},
      { prepare: [], unresolved: ['a:2:notes.md:ignored'] },
    ],
    [
      'a wildcard with no match is reported as a note',
      { 'a/Dockerfile': 'FROM scratch\nCOPY *.whl /w/\n' },
      {},
      { prepare: [], unresolved: ['a:2:*.whl:matches-nothing'] },
    ],
    [
      'an existing prepare target of another executor: the step gets its own name',
      { 'a/Dockerfile': 'FROM scratch\nCOPY LICENSE /l\n', LICENSE: '' },
      { a: { targets: { prepare: { executor: 'nx:run-commands', options: { command: 'true' } } } } },
      { prepare: [{ image: 'a', target: 'prepare-context', copies: [{ from: 'LICENSE', to: 'LICENSE' }] }], unresolved: [] },
    ],
    [
      'the same root file copied by two instructions: one entry',
      { 'a/Dockerfile': 'FROM scratch\nCOPY LICENSE /l\nCOPY ./LICENSE /m\n', LICENSE: '' },
      {},
      { prepare: [{ image: 'a', target: 'prepare', copies: [{ from: 'LICENSE', to: 'LICENSE' }] }], unresolved: [] },
    ],
    [
      'images under images/: each its own step',
      { 'images/a/Dockerfile': 'FROM scratch\nCOPY LICENSE /l\n', 'images/b/Dockerfile': 'FROM scratch\nCOPY LICENSE /l\n', LICENSE: '' },
      {},
      { prepare: [{ image: 'a', target: 'prepare', copies: [{ from: 'LICENSE', to: 'LICENSE' }] }, { image: 'b', target: 'prepare', copies: [{ from: 'LICENSE', to: 'LICENSE' }] }], unresolved: [] },
    ],
  ])('%s', (_case, tree, projectJsons, expected) => {
    const images: ContextImage[] = Object.keys(tree)
      .filter((path) => path.endsWith('/Dockerfile'))
      .map((path) => {
        const root = path.slice(0, -'/Dockerfile'.length);
        const name = root.split('/').pop() ?? root;
        return { name, root, ...(projectJsons[name] ? { projectJson: projectJsons[name] } : {}) };
      });
    const plan = contextPlan(images, Object.keys(tree), (path) => tree[path]);
    expect(plan.prepare.map(({ image, target, copies }) => ({ image, target, copies }))).toEqual(expected.prepare);
    expect(plan.unresolved.map((missing) => `${missing.image}:${missing.line}:${missing.written}:${missing.why}`)).toEqual(expected.unresolved);
  });
});

describe('withPrepareStep', () => {
  const step: PrepareCopies = { image: 'fornax-jupyter', root: 'fornax-jupyter', target: 'prepare', copies: [{ from: 'introduction.md', to: 'introduction.md' }] };
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>]>([
    [
      'no project.json: the step, and docker-build after its bases and the step',
      undefined,
      {
        $schema: '../node_modules/nx/schemas/project-schema.json',
        targets: { prepare: { executor: PREPARE, cache: false, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } }, 'docker-build': { dependsOn: ['...', 'prepare'] } },
      },
    ],
    [
      'a project.json with other targets and settings: kept',
      { name: 'x', tags: ['t'], targets: { lint: { command: 'true' }, 'docker-build': { options: { target: 'prod' } } } },
      { name: 'x', tags: ['t'], targets: { lint: { command: 'true' }, prepare: { executor: PREPARE, cache: false, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } }, 'docker-build': { options: { target: 'prod' }, dependsOn: ['...', 'prepare'] } } },
    ],
    [
      'a prepare step that extracts: the copy added, the extract kept; the dependency not repeated',
      { targets: { prepare: { executor: PREPARE, options: { extract: [{ image: 'e', path: '/k', to: 'k' }] } }, 'docker-build': { dependsOn: ['...', { target: 'prepare' }] } } },
      { targets: { prepare: { executor: PREPARE, options: { extract: [{ image: 'e', path: '/k', to: 'k' }], copy: [{ from: 'introduction.md', to: 'introduction.md' }] } }, 'docker-build': { dependsOn: ['...', { target: 'prepare' }] } } },
    ],
    [
      'a dependsOn without "...": left as the user wrote it, the step added',
      { targets: { 'docker-build': { dependsOn: ['other:docker-build'] } } },
      { targets: { prepare: { executor: PREPARE, cache: false, options: { copy: [{ from: 'introduction.md', to: 'introduction.md' }] } }, 'docker-build': { dependsOn: ['other:docker-build', 'prepare'] } } },
    ],
  ])('%s', (_case, before, expected) => {
    const copy = before === undefined ? undefined : structuredClone(before);
    expect(withPrepareStep(before, step)).toEqual(expected);
    // The project.json read is not changed in place.
    expect(before).toEqual(copy);
  });

  it('a $schema that reaches node_modules from a deeper folder', () => {
    expect(withPrepareStep(undefined, { ...step, root: 'images/a' }).$schema).toBe('../../node_modules/nx/schemas/project-schema.json');
  });
});

describe('gitignoreWith', () => {
  it.each<[string, string | undefined, string[], string | undefined]>([
    ['none yet', undefined, ['introduction.md'], '# Written by the prepare step before the build (nx g @fornax/nx-images:init)\n/introduction.md\n'],
    ['appended, a missing newline added', 'kernels/', ['introduction.md', 'changes.md'], 'kernels/\n/introduction.md\n/changes.md\n'],
    ['already there, anchored or not', '/introduction.md\nchanges.md\n', ['introduction.md', 'changes.md'], undefined],
    ['CRLF lines are read', 'a\r\n/introduction.md\r\n', ['introduction.md'], undefined],
  ])('%s', (_case, text, paths, expected) => {
    expect(gitignoreWith(text, paths)).toBe(expected);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MissingSource } from '../src/lib/core/dockerfile/context-sources';
import type { ProjectLike } from '../src/lib/core/graph/image-project';
import { run } from '../src/lib/io/exec';
import { missingSourcesAtCommit, missingSourcesOnDisk } from '../src/lib/io/context-sources';

// The two doors to the context check, on a real git repository and its disk (no engine needed):
// at a commit, what a fresh clone has (a file git ignores is not there); on the disk, what a build
// would send now (a step's output, ignored by git, is there). .dockerignore filters both.

let dir: string;
let head: string;

const write = (files: Record<string, string>) => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
};
const git = (...args: string[]) => run({ command: 'git', args, cwd: dir }).then((result) => result.stdout.trim());
const short = (missing: MissingSource) => `${missing.image} ${missing.line}:${missing.written} ${missing.why}${missing.atRoot ? ` (root ${missing.atRoot})` : ''}`;

const PROJECTS: Record<string, ProjectLike> = {
  jupyter: { name: 'jupyter', root: 'images/jupyter', targets: {} },
  // Its prepare step declares kernels/ (extracted from another image before the build).
  lab: {
    name: 'lab',
    root: 'images/lab',
    targets: { prepare: { executor: '@fornax/nx-images:prepare', options: { extract: [{ image: 'jupyter', path: '/k', to: 'kernels' }] } }, 'docker-build': { dependsOn: ['...', 'prepare'] } },
  },
  // Its build reads another Dockerfile and the images/ folder as its context.
  custom: { name: 'custom', root: 'images/custom', targets: { 'docker-build': { options: { context: 'images', file: 'images/custom/build.Dockerfile' } } } },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fornax-context-'));
  write({
    '.gitignore': 'images/jupyter/generated/\n',
    'introduction.md': '# hello\n',
    'images/jupyter/Dockerfile': 'FROM scratch\nCOPY stamp.txt /s\nCOPY introduction.md /i\nCOPY generated/ /g/\nCOPY secret.env /e\n',
    'images/jupyter/stamp.txt': 'jupyter\n',
    'images/jupyter/secret.env': 'X=1\n',
    'images/jupyter/.dockerignore': '*.env\n',
    'images/lab/Dockerfile': 'FROM scratch\nCOPY kernels/ /opt/kernels/\nCOPY nowhere.txt /n\n',
    'images/custom/build.Dockerfile': 'FROM scratch\nCOPY jupyter/stamp.txt /s\nCOPY custom/missing /m\n',
  });
  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'user.email', 'test@example.invalid');
  await git('config', 'user.name', 'Context Test');
  await git('config', 'commit.gpgsign', 'false');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'images');
  head = await git('rev-parse', 'HEAD');
  // What a step before the build wrote, and git ignores: on the disk only.
  write({ 'images/jupyter/generated/a.txt': 'a\n' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the context check, at a commit and on the disk', () => {
  it('at a commit: a root file, a file git ignores, a .dockerignore rule, a declared output, another context', async () => {
    expect((await missingSourcesAtCommit(dir, head, PROJECTS)).map(short)).toEqual([
      'custom 3:custom/missing missing',
      'jupyter 3:introduction.md missing (root introduction.md)',
      'jupyter 4:generated/ missing',
      'jupyter 5:secret.env ignored',
      'lab 3:nowhere.txt missing',
    ]);
  });

  it('on the disk: what a step wrote is there; the root file is still named', async () => {
    expect((await missingSourcesOnDisk(dir, 'jupyter', PROJECTS.jupyter ?? {})).map(short)).toEqual(['jupyter 3:introduction.md missing (root introduction.md)', 'jupyter 5:secret.env ignored']);
    expect((await missingSourcesOnDisk(dir, 'lab', PROJECTS.lab ?? {})).map(short)).toEqual(['lab 3:nowhere.txt missing']);
    expect((await missingSourcesOnDisk(dir, 'custom', PROJECTS.custom ?? {})).map(short)).toEqual(['custom 3:custom/missing missing']);
  });

  it('an image whose Dockerfile the commit or the disk lacks has nothing to check', async () => {
    const gone = { name: 'gone', root: 'images/gone', targets: {} };
    expect(await missingSourcesAtCommit(dir, head, { gone })).toEqual([]);
    expect(await missingSourcesOnDisk(dir, 'gone', gone)).toEqual([]);
  });
});

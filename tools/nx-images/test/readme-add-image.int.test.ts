import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerfileImages } from '../src/lib/core/dockerfile/dockerfile';
import { shellLinesUnder } from './harness/markdown-links';
import { argvOf, freshClone, userEnv } from './harness/readme-rows';
import { repoRoot } from './harness/workspace';

// The README's "Add an image" lines, run as written in a fresh clone, one after another: each writes the
// files the README lists, and the image the line's comment names is the final stage's base (the others
// named stages), which is also what the plugin makes the new image's build wait for.
describe("the README's lines that add an image, as written", () => {
  const HEADING = '## Add an image';
  const lines = shellLinesUnder(readFileSync(join(repoRoot, 'README.md'), 'utf8'), HEADING);
  let clone: string;

  beforeAll(() => {
    clone = freshClone();
  });
  afterAll(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  const run = (argv: string[]) =>
    execa(argv[0] ?? '', argv.slice(1), { cwd: clone, env: { ...userEnv(), NO_COLOR: '1', NX_DAEMON: 'false' }, extendEnv: false, reject: false, all: true, stdin: 'ignore', timeout: 180_000 });

  /** The image of a reference: `ghcr.io/owner/repo/tractor:main` is tractor. */
  const imageOf = (reference: string | undefined) => reference?.split('/').pop()?.split(':')[0];

  /** What a line's comment says the image starts from: `FROM a` or `FROM a, b as a named stage`. */
  function claimedBases(comment: string): string[] {
    expect(comment, `each line of "${HEADING}" ends with the comment # FROM <image>[, <image> ...]`).toMatch(/^FROM [\w-]+(, [\w-]+)*( as a named stage)?$/);
    return comment.replace(/^FROM /, '').replace(/ as a named stage$/, '').split(', ');
  }

  test('each line writes images/<name>/ with the final stage FROM the first image its comment names, the others as named stages; each build waits for them all', async () => {
    expect(lines.length, `README.md "${HEADING}" has no command`).toBeGreaterThan(0);
    const made: Record<string, string[]> = {};
    for (const { command, comment } of lines) {
      const argv = argvOf(command);
      expect(argv.slice(0, 4)).toEqual(['npx', 'nx', 'g', '@fornax/nx-images:image']);
      const name = argv[4] ?? '';
      const bases = claimedBases(comment);
      const result = await run(argv);
      expect(result.timedOut, `${command} did not exit in time:\n${result.all}`).toBe(false);
      expect(result.exitCode, result.all).toBe(0);

      const status = await execa('git', ['status', '--porcelain', '--untracked-files=all', '--', `images/${name}`], { cwd: clone });
      expect(status.stdout.split('\n').sort(), command).toEqual(
        ['Dockerfile', 'README.md', 'environment.yml', `tests/test_${name}.py`].map((file) => `?? images/${name}/${file}`),
      );
      // Read as the plugin reads it: the final stage's base, and the images the other stages start FROM.
      const read = dockerfileImages(readFileSync(join(clone, 'images', name, 'Dockerfile'), 'utf8'), {});
      const finalStage = read.stages.length - 1;
      expect(imageOf(read.finalBase?.reference), `${command}: the final stage`).toBe(bases[0]);
      const stageBases = read.reads.filter((entry) => entry.kind === 'from' && entry.stage !== finalStage);
      expect(stageBases.map((entry) => imageOf(entry.reference)).sort(), `${command}: the named stages`).toEqual(bases.slice(1).sort());
      for (const entry of stageBases) expect(read.stages[entry.stage], `${command}: FROM ${entry.reference} is a named stage`).toBeTruthy();
      made[name] = bases;
    }

    // What Nx makes of them, as `nx graph` writes it: each image's build waits for every image its line named.
    const graph = await run(['npx', 'nx', 'graph', '--file=dist/readme-graph.json']);
    expect(graph.exitCode, graph.all).toBe(0);
    const nodes = (JSON.parse(readFileSync(join(clone, 'dist', 'readme-graph.json'), 'utf8')) as {
      graph: { nodes: Record<string, { data: { targets: Record<string, { dependsOn?: { projects?: string[] }[] }> } }> };
    }).graph.nodes;
    for (const [name, bases] of Object.entries(made)) {
      const dependsOn = nodes[name]?.data.targets['docker-build']?.dependsOn ?? [];
      expect(dependsOn.flatMap((entry) => entry.projects ?? []).sort(), `${name}'s docker-build`).toEqual([...bases].sort());
    }
  }, 480_000);
});

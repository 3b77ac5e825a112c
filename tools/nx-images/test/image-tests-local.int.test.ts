import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { TESTED_MAIN, writeTests } from './fixtures/tested-main';
import { fromBuiltMain } from './harness/built-main';
import { runCiImages } from './harness/github-run';
import type { Registry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import type { Workspace } from './harness/workspace';

// Image tests on a copy of the tested two-image main (built once per run): a test whose output is
// megabytes of binary and escape sequences, and the image-test target run locally.

const REPO = TESTED_MAIN.repository;

let registry: Registry;
let ws: Workspace;
let cleanup: () => Promise<void>;

const push = (branch: string, sha: string) => runCiImages(ws, { name: 'push', branch, sha }, registry.host, { IMAGE_REPOSITORY: REPO });

async function commit(message: string, files: Record<string, string>): Promise<string> {
  writeTests(ws, files);
  return ws.commit(message);
}

beforeAll(async () => {
  ({ ws, registry, cleanup } = await fromBuiltMain(TESTED_MAIN));
}, 300_000);

afterAll(async () => {
  await cleanup?.();
});

describe('image tests, run between the build and the push', () => {
  it('a test printing megabytes, binary and escape sequences fails cleanly, and the summary stays one row per image', async () => {
    await ws.branch('hostile/output');
    const sha = await commit('a noisy failing test', {
      'images/base_image/base.txt': 'noisy\n',
      'images/base_image/tests/check-base.sh':
        '#!/bin/sh\nprintf "\\033[31mRED\\033[0m | <b>&amp;\\n\\001\\002\\377\\376\\n"\ni=0\nwhile [ $i -lt 40000 ]; do echo "line $i padding padding padding padding"; i=$((i+1)); done\nexit 1\n',
    });
    const result = await push('hostile/output', sha);
    expect(result.exitCode).not.toBe(0);
    const rows = result.summary.split('\n').filter((line) => line.startsWith('| 1 |') || line.startsWith('| 2 |'));
    expect(rows).toHaveLength(1);
    const failure = result.summary.split('\n').find((line) => line.startsWith('  - `base_image/check-base.sh`:')) ?? '';
    expect(failure).toContain('RED \\| &lt;b&gt;&amp;amp;');
    expect(Array.from(failure, (char) => char.charCodeAt(0)).filter((code) => code < 0x09 || code === 0x1b)).toEqual([]);
    expect(failure.length).toBeLessThan(2000);
    expect(failure).toMatch(/more line\(s\)/);
  });

  it('locally, nx run tractor:image-test builds what it needs and tests it', async () => {
    await ws.branch('local/tests');
    const result = await ws.nx(['run', 'tractor:image-test', `--registry=${registry.host}`, `--repository=${REPO}`, '--outputStyle=stream']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('tractor: passed (2 tests)');
    const tested = JSON.parse(readFileSync(join(ws.dir, 'dist', 'image-test', 'tractor.json'), 'utf8')) as { imageId: string };
    const local = await run({ command: DOCKER, args: ['image', 'inspect', '--format={{.Id}}', `${registry.host}/${REPO}/tractor:local-tests`] });
    expect(tested.imageId).toBe(local.stdout.trim());
  });

  it('a command set in an image’s project.json runs instead of the default, and without the ancestors when told', async () => {
    await ws.branch('local/configured');
    const command = ['sh', '-c', 'grep -q tractor /etc/fornax-stack && echo configured'];
    await commit('tractor: its own test command', {
      'images/tractor/project.json': `${JSON.stringify({ targets: { 'image-test': { options: { command, ancestors: false } } } }, null, 2)}\n`,
    });
    const result = await ws.nx(['run', 'tractor:image-test', `--registry=${registry.host}`, `--repository=${REPO}`, '--outputStyle=stream']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('configured');
    const tested = JSON.parse(readFileSync(join(ws.dir, 'dist', 'image-test', 'tractor.json'), 'utf8')) as { suites: string[]; passed: number };
    expect(tested).toMatchObject({ suites: ['tractor'], passed: 1 });
    expect(readFileSync(join(ws.dir, 'dist', 'image-test', 'tractor', 'junit.xml'), 'utf8')).toContain('name="sh -c grep -q tractor /etc/fornax-stack &amp;&amp; echo configured"');
  });
});

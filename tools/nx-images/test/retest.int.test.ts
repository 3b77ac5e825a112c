import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION, TEST_TIME_ANNOTATION } from '../src/lib/core/naming/conventions';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { HISTORY_MAIN } from './fixtures/history-main';
import type { MainRepository } from './harness/built-main';
import { repositoryCopy } from './harness/main-copy';

// A change to an image's tests alone (tests/app, outside its build context) rebuilds nothing: its tests
// run against the image under the tag, and the result is attached to that digest. A failure fails the
// run, moves no tag, and release-check refuses the image until its tests pass again.

const main = repositoryCopy(HISTORY_MAIN);
let before: string;

beforeAll(async () => {
  before = (await main.image('app', 'main'))?.digest ?? '';
});

/** A commit of app's tests alone, pushed to main. */
async function pushTests(message: string, script: string): Promise<Awaited<ReturnType<MainRepository['run']>>> {
  const previous = await main.ws.git('rev-parse', 'HEAD');
  main.ws.write('tests/app/check.sh', script);
  chmodSync(join(main.ws.dir, 'tests/app/check.sh'), 0o755);
  const head = await main.ws.commit(message);
  return main.run({ name: 'push', branch: 'main', sha: head, before: previous });
}

/** The test results attached to app:main's digest, newest last. */
async function results(): Promise<string[]> {
  const client = createRegistryClient({ registry: main.registry.host, credentials: null });
  const attached = (await client.referrers(`${main.repo}/app`, before)).filter((entry) => entry.artifactType === TEST_ARTIFACT_TYPE);
  return attached
    .filter((entry) => entry.annotations?.[TEST_TIME_ANNOTATION])
    .sort((a, b) => (a.annotations?.[TEST_TIME_ANNOTATION] ?? '').localeCompare(b.annotations?.[TEST_TIME_ANNOTATION] ?? ''))
    .map((entry) => entry.annotations?.[TEST_RESULT_ANNOTATION] ?? '');
}

const releaseCheck = () => main.ws.nx(['run', 'app:release-check', '--tags=v1.0.0', `--registry=${main.registry.host}`, `--repository=${main.repo}`, '--outputStyle=static']);

describe('a change to an image\'s tests alone', () => {
  it('passing: the image under the tag is tested and the result attached to its digest; nothing is built', async () => {
    const run = await pushTests('app: a stricter check', '#!/bin/sh\ngrep -q "app 1" /stamps/app && echo "app stamped 1"\n');
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toContain('ci:images: no image is affected; nothing to build.');
    expect(run.all).toMatch(new RegExp(`app: its tests alone changed: testing \\S+/app:main \\(${before}\\)`));
    expect(run.all).toMatch(new RegExp(`app: retest passed.*; attached to ${before}`));
    expect(run.summary).toMatch(/### Retests: images whose tests alone changed[\s\S]*\| `app` \| `\S+@sha256:[0-9a-f]{64}` \| \*\*passed\*\*/);
    expect((await main.image('app', 'main'))?.digest).toBe(before);
    expect((await results()).at(-1)).toBe('passed');
    expect((await releaseCheck()).exitCode).toBe(0);
  });

  it('failing: the run fails, no tag moves, and release-check refuses the image until they pass again', async () => {
    const failing = await pushTests('app: a check it fails', '#!/bin/sh\necho "app is not ready"; exit 1\n');
    expect(failing.exitCode).not.toBe(0);
    expect(failing.all).toContain('ci:images: the tests of app failed against the image under the tag; no tag moved.');
    expect((await main.image('app', 'main'))?.digest).toBe(before);
    expect((await results()).at(-1)).toBe('failed');
    const refused = await releaseCheck();
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all).toMatch(/app: \S+app:main \(sha256:\w+\) has no passing test result \(its newest tests, run \S+, failed\)/);

    const fixed = await pushTests('app: the check fixed', '#!/bin/sh\ngrep -q app /stamps/app && echo "app stamped"\n');
    expect(fixed.exitCode, fixed.all).toBe(0);
    expect((await results()).at(-1)).toBe('passed');
    expect((await releaseCheck()).exitCode).toBe(0);
  });
});

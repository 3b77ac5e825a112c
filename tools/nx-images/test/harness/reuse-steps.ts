import { expect } from 'vitest';
import { HISTORY_MAIN } from '../fixtures/history-main';
import type { MainRepository } from './built-main';
import { copiesOfMain } from './main-copies';

// The steps the reuse tests (reuse-merges, reuse-history) share.
// Reuse by content, against the real engine and registry: a pull request's branch builds and tests two
// images; merged into main by each of GitHub's three methods, the push to main builds none and reads back
// the branch's digests; the next push compares right, whatever commit the images were built from. A
// revert takes the images built before; a forced rebuild takes nothing. Each case works on its own copy
// of the history fixture, main built once per run (test/harness/built-main.ts).

/**
 * For a test file, called at its top level: a function giving a copy of the history fixture's main
 * (built once per run), each copy removed after that file. A call per file, not one on import: the
 * files share their worker's modules, so a hook registered on import would serve the first file only.
 */
export function copiesOfHistoryMain(): () => Promise<MainRepository> {
  return copiesOfMain(HISTORY_MAIN);
}

/** The pull request's branch pushed: app and tool changed, built and tested under the branch's tag. */
export async function pullRequestPushed(main: MainRepository): Promise<{ app: string; tool: string; head: string }> {
  await main.ws.git('checkout', '--quiet', '-b', 'pr/two');
  const head = await main.ws.commit('app and tool, changed in a pull request', { 'images/app/stamp.txt': 'app 2\n', 'images/tool/stamp.txt': 'tool 2\n' });
  const pushed = await main.run({ name: 'push', branch: 'pr/two', sha: head });
  expect(pushed.exitCode, pushed.all).toBe(0);
  expect(pushed.all).toContain('app: recorded for reuse');
  const app = (await main.image('app', 'pr-two'))?.digest ?? '';
  const tool = (await main.image('tool', 'pr-two'))?.digest ?? '';
  expect(app).toMatch(/^sha256:/);
  await main.ws.git('checkout', '--quiet', 'main');
  return { app, tool, head };
}

/** main's push after the merge: both images reused, none built, under main the branch's digests. */
export async function expectReused(main: MainRepository, before: string, built: { app: string; tool: string; head: string }): Promise<void> {
  const head = await main.ws.git('rev-parse', 'HEAD');
  const merged = await main.run({ name: 'push', branch: 'main', sha: head, before });
  expect(merged.exitCode, merged.all).toBe(0);
  expect(merged.all).toMatch(/app: build: /);
  expect(merged.all).toMatch(/tool: build: /);
  expect(merged.all).not.toMatch(/(app|tool): (app|tool): building/);
  for (const image of ['app', 'tool'] as const) {
    expect(merged.all).toMatch(new RegExp(`${image}: reused \\S+@${built[image]}, built from the same inputs on the same bases by \\S+:pr-two \\(${built.head.slice(0, 7)}\\)`));
    expect((await main.image(image, 'main'))?.digest, image).toBe(built[image]);
  }
  expect(merged.summary).toMatch(new RegExp(`reused from \`\\S+/app:pr-two\` \\(\`${built.head.slice(0, 7)}\`\\), which built it in \\d+ s`));
  // The next push, docs only: the images under main have main's inputs, whatever commit built them.
  const docs = await main.ws.commit('docs after the merge', { 'docs/guide.md': '# guide, after the merge\n' });
  const next = await main.run({ name: 'push', branch: 'main', sha: docs, before: head });
  expect(next.exitCode, next.all).toBe(0);
  expect(next.all).toContain('ci:images: no image is affected; nothing to build.');
  expect(next.all).toMatch(/app: not affected: same inputs as \S+\/app:main \(built from \w{7}\)/);
}


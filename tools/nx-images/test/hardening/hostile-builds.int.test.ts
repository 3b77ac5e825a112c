import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { listTags, readImage } from '../harness/read-image';
import type { Registry } from '../harness/registry';
import type { CommandTrace } from '../harness/trace-commands';
import type { Workspace } from '../harness/workspace';
import { expectNoInjectedOption, hostileSetup, REPO, workspaceFiles } from './hostile-setup';

// Hostile names built for real through nx: each becomes a valid tag and runs nothing, or ends in one
// clear line before docker runs (hostile-names.int.test.ts plans each case with --dry-run).
const setup = hostileSetup();
let registry: Registry;
let ws: Workspace;
let trace: CommandTrace;
let scratch: string;
let M: string;
let m: string;
beforeAll(() => {
  ({ registry, ws, trace, scratch, M, m } = setup);
});

describe('hostile names, built for real through nx (docker and git traced)', () => {
  const LABEL_FILE = 'FROM scratch\nARG EXTRA\nLABEL seen.extra="$EXTRA"\nCOPY base.txt /base.txt\n';

  async function nxBuild(extra: string[], env: Record<string, string | undefined> = {}) {
    const childTmp = mkdtempSync(join(scratch, 'tmp-'));
    const result = await ws.nx(
      ['run', 'base_image:docker-build', `--registry=${registry.host}`, `--repository=${REPO}`, '--exclude-task-dependencies', '--push', ...extra],
      { PATH: trace.path, TMPDIR: childTmp, ...env },
    );
    // The executor's own scratch files are gone once it ends.
    expect(readdirSync(childTmp).filter((name) => name.startsWith('fornax-'))).toEqual([]);
    return result;
  }

  beforeAll(async () => {
    ws.write('images/base_image/Dockerfile', LABEL_FILE);
    await ws.commit('a base_image that labels its EXTRA build arg and needs no RUN');
  });

  test('git branches with $(), backticks, ; and | build under their sanitized tag and run nothing', async () => {
    const name = `pwn\`touch\${IFS}${M}/g1\`;$(touch\${IFS}${M}/g2)|x`;
    await ws.git('checkout', '--quiet', '-b', name);
    trace.clear();
    const result = await nxBuild([]);
    expect(result.exitCode, result.all).toBe(0);
    const tag = `pwn-touch-IFS-${m}-g1-touch-IFS-${m}-g2-x`;
    expect(await readImage(registry.url, `${REPO}/base_image`, tag)).toBeDefined();
    expect(readdirSync(M)).toEqual([]);
  });

  test('a 300-character unicode branch builds under a 128-character tag ending in a hash', async () => {
    const name = `feature/${Array.from({ length: 6 }, (_, i) => `ünï${i}${'a'.repeat(45)}`).join('/')}`;
    expect(name.length).toBeGreaterThanOrEqual(300);
    await ws.git('checkout', '--quiet', '-b', name);
    const result = await nxBuild([]);
    expect(result.exitCode, result.all).toBe(0);
    const tags = await listTags(registry.url, `${REPO}/base_image`);
    const long = tags.filter((tag) => tag.startsWith('feature-n-0a'));
    expect(long).toHaveLength(1);
    expect(long[0]).toMatch(/^feature-n-0a{45}-n-1a{45}.*-[0-9a-f]{8}$/);
    expect(long[0]).toHaveLength(128);
  });

  test('GITHUB_REF_NAME "--output=<dir>/out" becomes a tag, never an option', async () => {
    trace.clear();
    const result = await nxBuild([], { GITHUB_REF_NAME: `--output=${M}/out`, GITHUB_SHA: await ws.git('rev-parse', 'HEAD') });
    expect(result.exitCode, result.all).toBe(0);
    expect(await readImage(registry.url, `${REPO}/base_image`, `output-${m}-out`)).toBeDefined();
    expectNoInjectedOption(trace.calls(), '--output');
    expect(readdirSync(M)).toEqual([]);
  });

  test('a build arg with a newline, $() and backticks reaches the Dockerfile as one value', async () => {
    const value = `$(touch ${M}/a1)\n--output=${M}/out \`touch ${M}/a2\`;x`;
    await ws.git('checkout', '--quiet', '-b', 'build-arg');
    trace.clear();
    const result = await nxBuild([`--buildArgs.EXTRA=${value}`]);
    expect(result.exitCode, result.all).toBe(0);
    const image = await readImage(registry.url, `${REPO}/base_image`, 'build-arg');
    expect(image!.labels['seen.extra']).toBe(value);
    expectNoInjectedOption(trace.calls(), value);
    // The value reached docker as one argument, newline and all.
    expect(trace.calls().filter((call) => call.command === 'docker' && call.args.includes(`--build-arg=EXTRA=${value}`))).toHaveLength(1);
    expect(readdirSync(M)).toEqual([]);
  });

  test.each([
    ['--tag=-x', /--tag: "-x" is not a valid Docker tag/],
    ['--image=../../etc', /image name: "..\/..\/etc" is not valid/],
  ])('%s through the nx command line ends in a clear error before docker runs', async (option, message) => {
    trace.clear();
    const result = await nxBuild([option]);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(message);
    expect(trace.calls().filter((call) => call.command === 'docker')).toEqual([]);
  });

  test('nothing was written outside the workspace and dist/', async () => {
    expect(readdirSync(M)).toEqual([]);
    const created = readdirSync(tmpdir()).filter((name) => !setup.tmpBefore.has(name));
    // Other suites make fornax-* folders in parallel; a payload would make one of these.
    expect(created.filter((name) => ['x', 'out', 'etc', 'passwd', 'output'].includes(basename(name)))).toEqual([]);
    const changed = (await workspaceFiles(ws)).filter((path) => !setup.wsBefore.has(path));
    expect(changed.filter((path) => !/^(dist|\.nx)\//.test(path) && path !== 'images/base_image/Dockerfile')).toEqual([]);
  });
});

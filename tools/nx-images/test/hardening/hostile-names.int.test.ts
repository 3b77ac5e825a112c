import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readImage, listTags } from '../harness/read-image';
import { startRegistry, type Registry } from '../harness/registry';
import { runDockerBuildExecutor } from '../harness/run-docker-build';
import { traceCommands, type CommandTrace } from '../harness/trace-commands';
import { createWorkspace, type Workspace } from '../harness/workspace';

// Names come from anyone who can push a branch: each hostile one becomes a
// valid tag, or ends in one clear line before any docker command runs.
const DOCKER = '/usr/bin/docker';
const REPO = 'fornax/images';
let registry: Registry;
let ws: Workspace;
let trace: CommandTrace;
let scratch: string;
/** Where every payload tries to write: it must stay empty. */
let M: string;
/** M as it reads inside a tag. */
let m: string;
let tmpBefore: Set<string>;
let wsBefore: Set<string>;

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace({ branch: 'main' });
  scratch = mkdtempSync(join(tmpdir(), 'fornax-hostile-scratch-'));
  M = mkdtempSync(join(tmpdir(), 'fornax-hostile-'));
  m = M.slice(1).replace(/\//g, '-');
  trace = traceCommands(scratch, { docker: DOCKER, git: (await ws.exec('sh', ['-c', 'command -v git'])).stdout.trim() });
  tmpBefore = new Set(readdirSync(tmpdir()));
  wsBefore = new Set(await workspaceFiles());
});

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
  for (const dir of [scratch, M]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every file of the workspace git does not ignore-and-skip, including ignored ones, relative paths. */
async function workspaceFiles(): Promise<string[]> {
  const out = await ws.git('status', '--porcelain', '--ignored', '--untracked-files=all');
  return out.split('\n').filter(Boolean).map((line) => line.slice(3));
}

type Case = {
  via: 'branch' | 'tag' | 'image' | 'build-arg value' | 'build-arg name';
  value: string;
  /** The tag it must become (or match), or the error it must end in. */
  expected: () => string | RegExp | { matches: RegExp };
};

const branch = (value: string, expected: Case['expected']): Case => ({ via: 'branch', value, expected });
const BAD_TAG = /^base_image: --tag: ".*" is not a valid Docker tag: use 1-128 characters/;
const BAD_IMAGE = /^base_image: image name: ".*" is not valid: use lower-case letters/;
const BAD_ARG_NAME = /^base_image: build arg: ".*" is not a valid name/;

const CASES: (() => Case)[] = [
  () => branch(`feature/$(touch ${M}/p1)`, () => `feature-touch-${m}-p1-`),
  () => branch(`\`touch ${M}/p2\``, () => `touch-${m}-p2-`),
  () => branch(`a;touch ${M}/p3`, () => `a-touch-${m}-p3`),
  () => branch(`a|touch ${M}/p4&&touch ${M}/p5`, () => `a-touch-${m}-p4-touch-${m}-p5`),
  () => branch(`main\n--output=${M}/out`, () => `main---output-${m}-out`),
  () => branch(`--output=${M}/out`, () => `output-${m}-out`),
  () => branch('-x', () => 'x'),
  () => branch('../../etc/passwd', () => 'etc-passwd'),
  () => branch('..', () => /^base_image: branch: "\.\." has no character/),
  () => branch('///', () => /^base_image: branch: "\/\/\/" has no character/),
  () => branch('✓✓✓', () => /^base_image: branch: "✓✓✓" has no character/),
  () => branch('\r\n', () => /^base_image: branch: "\\r\\n" has no character/),
  () => branch('fix/ünïcode', () => 'fix-n-code'),
  () => branch('a'.repeat(300), () => ({ matches: /^a{119}-[0-9a-f]{8}$/ })),
  () => branch('Feature/X', () => 'Feature-X'),
  () => branch('feature/x', () => 'feature-x'),
  () => branch('$HOME', () => 'HOME'),
  () => branch('${IFS}x', () => 'IFS-x'),
  () => branch(`'quoted' "double"`, () => 'quoted-double-'),
  () => branch('a\tb', () => 'a-b'),
  () => branch('<script>alert(1)</script>', () => 'script-alert-1-script-'),
  () => branch('.hidden', () => 'hidden'),
  () => branch('🚀-launch', () => 'launch'),
  () => branch('%2e%2e%2fetc', () => '2e-2e-2fetc'),
  () => ({ via: 'tag', value: '-x', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: `--output=${M}/out`, expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'a;b', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: `$(touch ${M}/p6)`, expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: '../../etc', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'v'.repeat(129), expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'ok\nnext', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'v1.0.0', expected: () => 'v1.0.0' }),
  () => ({ via: 'image', value: '../../etc', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: '-x', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: 'Base_Image', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: 'a;b', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: `$(touch ${M}/p7)`, expected: () => BAD_IMAGE }),
  () => ({ via: 'build-arg value', value: `$(touch ${M}/p8)`, expected: () => 'main' }),
  () => ({ via: 'build-arg value', value: `a\n--output=${M}/out`, expected: () => 'main' }),
  () => ({ via: 'build-arg value', value: `\`touch ${M}/p9\`;touch ${M}/p10`, expected: () => 'main' }),
  () => ({ via: 'build-arg name', value: '-x', expected: () => BAD_ARG_NAME }),
  () => ({ via: 'build-arg name', value: 'A;touch', expected: () => BAD_ARG_NAME }),
];

/** No argument of any docker or git call may start with a value that arrived as a name. */
function expectNoInjectedOption(calls: { command: string; args: string[] }[], value: string): void {
  const dash = value.split('\n').find((line) => line.startsWith('-'));
  if (!dash) return;
  for (const call of calls) for (const arg of call.args) expect(arg.startsWith(dash), `${call.command} ${arg}`).toBe(false);
}

describe('hostile names, planned with --dry-run (the executor in-process, docker and git traced)', () => {
  test.each(CASES.map((make, index) => [index + 1, make] as const))('case %i', async (_index, make) => {
    const c = make();
    const expected = c.expected();
    trace.clear();
    const options = {
      registry: registry.host,
      repository: REPO,
      dryRun: true,
      ...(c.via === 'tag' ? { tag: c.value } : {}),
      ...(c.via === 'image' ? { image: c.value } : {}),
      ...(c.via === 'build-arg value' ? { buildArgs: { EXTRA: c.value } } : {}),
      ...(c.via === 'build-arg name' ? { buildArgs: { [c.value]: 'v' } } : {}),
    };
    const result = await runDockerBuildExecutor(ws.dir, 'base_image', options, {
      PATH: trace.path,
      GITHUB_HEAD_REF: undefined,
      GITHUB_REF_NAME: c.via === 'branch' ? c.value : undefined,
    });
    const calls = trace.calls();
    expect(calls.filter((call) => call.command === 'docker' && call.args.some((arg) => arg === 'build' || arg === 'push'))).toEqual([]);
    expectNoInjectedOption(calls, c.value);
    if (expected instanceof RegExp) {
      expect(result.success, result.output).toBe(false);
      expect(result.output.trim().split('\n'), 'one line').toHaveLength(1);
      expect(result.output.trim()).toMatch(expected);
      // Refused while normalizing: not even the docker client was looked at.
      expect(calls.filter((call) => call.command === 'docker')).toEqual([]);
      return;
    }
    expect(result.success, result.output).toBe(true);
    const tag = /base_image:(\S+) {2}\(tag from/.exec(result.output)?.[1];
    if (typeof expected === 'string') expect(tag).toBe(expected);
    else expect(tag).toMatch(expected.matches);
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    if (c.via === 'build-arg value') {
      // The value stays one argument: the printed plan quotes it whole.
      expect(result.output).toContain(`'--build-arg=EXTRA=${c.value.replace(/'/g, `'\\''`)}'`);
    }
  });

  test('every payload target is untouched', () => {
    expect(readdirSync(M)).toEqual([]);
  });
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
    const created = readdirSync(tmpdir()).filter((name) => !tmpBefore.has(name));
    // Other suites make fornax-* folders in parallel; a payload would make one of these.
    expect(created.filter((name) => ['x', 'out', 'etc', 'passwd', 'output'].includes(basename(name)))).toEqual([]);
    const changed = (await workspaceFiles()).filter((path) => !wsBefore.has(path));
    expect(changed.filter((path) => !/^(dist|\.nx)\//.test(path) && path !== 'images/base_image/Dockerfile')).toEqual([]);
  });
});

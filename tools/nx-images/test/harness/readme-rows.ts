import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LABEL, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION } from '../../src/lib/core/naming/conventions';
import { createRegistryClient } from '../../src/lib/io/registry/oci-client';
import { startRegistry, type Registry } from './registry';
import { pushImage } from './seed';
import { COMMAND_TABLE, fragmentPattern, RUN_ELSEWHERE, TABLE_FILE, type Row } from './command-table';
import { repoRoot } from './workspace';

/**
 * Runs rows of the "Outside GitHub" table in docs/ci.md as written, in a
 * fresh clone of this repository with no GITHUB_*, IMAGE_* or LEVEL_JOBS
 * variable: each must exit 0 within its time limit and print what the table
 * says. Registers the file's set-up (the clone, an empty registry and one
 * holding main) and one test per row `which` takes; the files that call it
 * share the table between them (test/readme-commands*.int.test.ts).
 */
export function runTableRows(which: (row: Row) => boolean): void {
  const rows = COMMAND_TABLE.filter((row) => RUN_ELSEWHERE[row.command] === undefined && which(row));
  let clone: string;
  let tmp: string;
  let empty: Registry;
  let holdsMain: Registry;

  beforeAll(async () => {
    clone = freshClone();
    tmp = mkdtempSync(join(tmpdir(), 'fornax-readme-tmp-'));
    [empty, holdsMain] = await Promise.all([startRegistry(), startRegistry()]);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: clone, encoding: 'utf8' }).trim();
    await pushMain(holdsMain, head);
  });

  afterAll(async () => {
    await Promise.all([empty?.stop(), holdsMain?.stop()]);
    if (clone) rmSync(clone, { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test.each(rows.map((row) => [row.command, row] as const))('%s', async (_command, row) => {
    const argv = argvOf(row.command);
    const registry = { empty, 'holds main': holdsMain }[row.registry];
    if (registry) {
      if (argv[0] === 'npm' && !argv.includes('--')) argv.push('--');
      argv.push(`--registry=${registry.host}`, `--repository=${REPOSITORY}`);
    } else if (row.registry !== 'its own' && row.registry !== 'none') {
      throw new Error(`${TABLE_FILE}: "${row.command}" needs a registry "${row.registry}", which this test cannot prepare: use none, empty, holds \`main\` or its own.`);
    }
    const result = await execa(argv[0] ?? '', argv.slice(1), {
      cwd: clone,
      env: { ...userEnv(), TMPDIR: tmp, NO_COLOR: '1', NX_DAEMON: 'false' },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: 180_000,
    });
    expect(result.timedOut, `${row.command} did not exit in time:\n${result.all}`).toBe(false);
    expect(result.exitCode, result.all).toBe(0);
    for (const fragment of row.prints) expect(result.all, `${row.command} should print ${fragment}`).toMatch(fragmentPattern(fragment));
  }, 480_000);
}

const REPOSITORY = 'fornax/images';

/** A documented command as the words a shell would pass: it must be one line of plain words, no quotes, no shell syntax. */
export function argvOf(command: string): string[] {
  expect(command, 'a command is one line of plain words, no quotes').toMatch(/^[^'"\\$`|;&<>]+$/);
  return command.split(/\s+/);
}

/** This repository as a fresh clone would have it: every tracked (and new, not ignored) file, one commit on main, node_modules linked. */
export function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-readme-clone-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(repoRoot, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(dir, file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], { cwd: dir, env: { ...userEnv(), GIT_AUTHOR_NAME: 'Fornax Test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'Fornax Test', GIT_COMMITTER_EMAIL: 'test@example.invalid' } });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '-m', 'fresh clone');
  return dir;
}

/** The environment of a user's shell: this one without what CI, Nx or a test runner set. */
export function userEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(GITHUB_|IMAGE_|NX_|RUNNER_|VITEST|npm_)/.test(name) || name === 'LEVEL_JOBS' || name === 'FORCE_COLOR') continue;
    env[name] = value;
  }
  return env;
}

/** Every image's main tag, as CI leaves it: built from this commit, its tests passed, its lock set attached. */
async function pushMain(registry: Registry, head: string): Promise<void> {
  const client = createRegistryClient({ registry: registry.host, env: {} });
  for (const image of ['base_image', 'tractor']) {
    const repoPath = `${REPOSITORY}/${image}`;
    const seeded = await pushImage(registry.url, repoPath, 'main', { labels: { [LABEL.revision]: head }, locks: {} });
    await client.attach(repoPath, seeded.digest, {
      artifactType: TEST_ARTIFACT_TYPE,
      files: [{ title: 'result.json', mediaType: 'application/json', bytes: Buffer.from('{"result":"passed","passed":1,"failed":0}\n') }],
      annotations: { [TEST_RESULT_ANNOTATION]: 'passed' },
    });
  }
}

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { commandTableRow, fragmentPattern } from './harness/command-table';
import { repoRoot } from './harness/workspace';

// `npm run demo` end to end, from this repository, as docs/ci.md's command table writes it: it must
// build, release and read back both sample images, print what the table says, then leave no process,
// folder or branch behind.
const DEMO = commandTableRow('npm run demo');
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A private TMPDIR: whatever the demo leaves in it is visible, whatever else runs on the machine. */
function privateTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-demo-test-'));
  made.push(dir);
  return dir;
}

async function git(...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd: repoRoot })).stdout;
}

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url)).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  test('builds, releases and lists both images with equal digests, then leaves no registry, folder or branch', async () => {
    const tmp = privateTmp();
    const statusBefore = await git('status', '--porcelain');
    const branchesBefore = await git('for-each-ref', '--format=%(refname)', 'refs/heads');

    const [command = '', ...args] = DEMO.command.split(' ');
    const result = await execa(command, args, {
      cwd: repoRoot,
      env: { TMPDIR: tmp, NO_COLOR: '1' },
      reject: false,
      all: true,
      stdin: 'ignore',
      // A child left running (e.g. the registry) keeps the demo from exiting: fail here, not by the test's timeout.
      timeout: 360_000,
    });
    expect(result.exitCode, result.all).toBe(0);
    const output = result.all ?? '';
    for (const fragment of DEMO.prints) expect(output, `${DEMO.command} should print ${fragment}`).toMatch(fragmentPattern(fragment));

    const rows = [...output.matchAll(/^(base_image|tractor) +(\S+) +(sha256:[0-9a-f]{64})$/gm)].map(([, image, tag, digest]) => ({ image, tag, digest }));
    const builtTag = /branch demo\/([0-9a-f]{6}) \(tag (demo-[0-9a-f]{6})\)/.exec(output)?.[2];
    expect(builtTag, output).toBeDefined();
    for (const image of ['base_image', 'tractor']) {
      const mine = rows.filter((row) => row.image === image);
      expect(mine.map((row) => row.tag).sort()).toEqual([builtTag, 'stable', 'v0.0.0-demo'].sort());
      // The release copies the built manifest: one digest under all three tags.
      expect(new Set(mine.map((row) => row.digest)).size).toBe(1);
    }
    expect(rows.find((row) => row.image === 'base_image')!.digest).not.toBe(rows.find((row) => row.image === 'tractor')!.digest);

    const registry = /registry (http:\/\/127\.0\.0\.1:\d+) via (\S+), pid (\d+)/.exec(output);
    expect(registry, output).not.toBeNull();
    expect(await answers(`${registry![1]}/v2/`)).toBe(false);
    if (registry![2] === 'docker-registry') expect(alive(Number(registry![3]))).toBe(false);

    const dirs = [...output.matchAll(/^demo: made (\S+)$/gm)].map((match) => match[1]);
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    for (const dir of dirs) {
      expect(dir.startsWith(tmp), dir).toBe(true);
      expect(existsSync(dir), dir).toBe(false);
    }
    // Every temporary folder of the demo and the executors is named fornax-*; swc-node keeps its compile cache there too.
    expect(readdirSync(tmp).filter((name) => name.startsWith('fornax-'))).toEqual([]);

    expect(await git('status', '--porcelain')).toBe(statusBefore);
    expect(await git('for-each-ref', '--format=%(refname)', 'refs/heads')).toBe(branchesBefore);
    // The demo's own repositories only: once its registry stopped, another test may take the same port.
    const demoImages = `${registry![1].slice('http://'.length)}/fornax-demo/`;
    const images = await execa('/usr/bin/docker', ['image', 'ls', '--format={{.Repository}}']);
    expect(images.stdout.split('\n').filter((name) => name.startsWith(demoImages))).toEqual([]);
  }, 420_000);

  // What a machine without the pieces sees: one line naming the piece and the fix, before anything is made.
  const noDocker = () => {
    const bin = join(privateTmp(), 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/git', join(bin, 'git'));
    return { PATH: bin };
  };
  test.each([
    ['no docker client', noDocker, /^docker: no docker client on PATH: install Docker/m],
    ['engine down', () => ({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }), /^docker: the Docker engine does not answer .*: start it/m],
    ['dynamic busybox', () => ({ FORNAX_BUSYBOX: '/usr/bin/git' }), /^busybox: FORNAX_BUSYBOX=\/usr\/bin\/git is not a statically linked executable.*apt-get install busybox-static/m],
    ['no busybox', () => ({ FORNAX_BUSYBOX: '/nonexistent/busybox' }), /^busybox: FORNAX_BUSYBOX=\/nonexistent\/busybox does not exist: .*apt-get install busybox-static/m],
  ])('%s: exits non-zero with one clear line and makes nothing', async (_name, env, message) => {
    const tmp = privateTmp();
    const result = await execa(process.execPath, ['--require', '@swc-node/register', 'tools/nx-images/scripts/demo.ts'], {
      cwd: repoRoot,
      env: { ...env(), TMPDIR: tmp },
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: 120_000,
    });
    expect(result.exitCode, result.all).not.toBe(0);
    expect(result.stderr, result.all).toMatch(message);
    expect(result.stderr.split('\n').filter((line) => /^(docker|busybox|git|registry): /.test(line))).toHaveLength(1);
    expect(result.all).not.toMatch(/demo: made /);
    expect(readdirSync(tmp).filter((name) => name.startsWith('fornax-'))).toEqual([]);
  });
});

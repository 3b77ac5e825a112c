import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/io/exec';

export const DOCKER = '/usr/bin/docker';

export interface SecondEngine {
  /** `unix:///.../docker.sock`, for DOCKER_HOST. */
  host: string;
  /** The daemon's process id. */
  pid: number;
  /** Kills the daemon with `signal` and waits for it to exit (the engine is then down). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Removes every image and all build cache: the engine then holds nothing a registry did not serve it since. */
  empty(): Promise<void>;
  /** Stops the daemon if it runs and removes everything it wrote. */
  stop(): Promise<void>;
}

export interface SecondEngineOptions {
  /**
   * Give the engine's bridge an address, so builds may RUN (a bridge without
   * one is enough for builds that only COPY). A /24 in 10.200.0.0/16 picked
   * at random, away from docker0's 172.17.0.0/16.
   */
  runnable?: boolean;
}

/**
 * A private dockerd on its own socket, data root and bridge, so a test can
 * stop it in the middle of a build, or empty it, without touching the engine
 * other tests share. Its bridge has no address unless `runnable`: builds on
 * it must then not RUN. (With --bridge=none dockerd deletes docker0, the
 * shared engine's bridge.)
 */
export async function startSecondEngine(options: SecondEngineOptions = {}): Promise<SecondEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'fornax-dockerd-'));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const bridge = `fx${randomBytes(4).toString('hex')}`;
  await run({ command: 'ip', args: ['link', 'add', 'name', bridge, 'type', 'bridge'] });
  await run({ command: 'ip', args: ['link', 'set', bridge, 'up'] });
  if (options.runnable) {
    const subnet = `10.200.${1 + Math.floor(Math.random() * 250)}`;
    await run({ command: 'ip', args: ['addr', 'add', `${subnet}.1/24`, 'dev', bridge] });
  }
  const child: ChildProcess = spawn(
    'dockerd',
    [
      `--host=${host}`,
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip-masq=false',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`private dockerd exited with ${child.exitCode}: ${stderr.trim()}`);
    try {
      await run({ command: DOCKER, args: ['version', '--format={{.Server.Version}}'], env: { DOCKER_HOST: host } }, { timeout: 10_000 });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`private dockerd did not answer on ${host} within 60 s: ${stderr.trim()}`);
      }
      await sleep(200);
    }
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await Promise.race([exited, sleep(20_000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const docker = (args: string[]) => run({ command: DOCKER, args, env: { DOCKER_HOST: host } }, { timeout: 120_000 });
  return {
    host,
    pid: child.pid ?? -1,
    kill,
    async empty() {
      await docker(['image', 'prune', '--all', '--force']);
      await docker(['builder', 'prune', '--all', '--force']);
    },
    async stop() {
      await kill('SIGTERM');
      // A killed daemon leaves its own containerd running, and a build cut short leaves mounts under its data root.
      const containerd = Number((await readFile(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').catch(() => '')).trim());
      if (containerd > 0) {
        try {
          process.kill(containerd, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((line) => line.split(' ')[1] ?? '');
      for (const mount of mounts.filter((path) => path.startsWith(`${dir}/`)).reverse()) {
        await run({ command: 'umount', args: ['--lazy', '--', mount] }).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      await run({ command: 'ip', args: ['link', 'delete', bridge] }).catch(() => undefined);
    },
  };
}

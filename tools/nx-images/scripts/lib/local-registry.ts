import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { removeLocalImages } from './local-images';
import { run } from '../../src/lib/io/exec';
import { which } from '../../src/lib/io/which';

export interface Registry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops the registry; its storage, and the local engine's images named under it, are removed unless `keepStorage` (to restart on the same data). */
  stop(options?: { keepStorage?: boolean }): Promise<void>;
}

export interface RegistryOptions {
  /** Extra YAML appended under the top level of the registry's config (e.g. an `auth:` block). */
  extraConfig?: string;
  /** Keep the storage across a restart: pass the `storage` of an earlier registry. */
  storage?: string;
  port?: number;
  /** Refuse every write, as a registry in maintenance does. */
  readonly?: boolean;
}

export interface StartedRegistry extends Registry {
  storage: string;
  port: number;
  /** The process serving it: `docker-registry`, or the `docker run` client of the registry:2 container. */
  pid: number | undefined;
  /** How it runs: `docker-registry` or `registry:2`. */
  via: 'docker-registry' | 'registry:2';
  /** The temporary folders it made (config, storage); all gone after stop() unless keepStorage. */
  dirs: string[];
}

/** The image started when the `docker-registry` binary is not on PATH. */
export const REGISTRY_IMAGE = 'registry:2';

/**
 * Starts the Distribution registry on a free loopback port: the
 * `docker-registry` binary when it is on PATH (Debian's package), else the
 * `registry:2` image through Docker (`docker` is the client to use for it).
 */
export async function startRegistry(options: RegistryOptions & { docker?: string } = {}): Promise<StartedRegistry> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'fornax-registry-'));
  const storage = options.storage ?? (await mkdtemp(join(tmpdir(), 'fornax-registry-storage-')));
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      ...(options.readonly ? ['  maintenance:', '    readonly:', '      enabled: true'] : []),
      'http:',
      `  addr: 127.0.0.1:${port}`,
      options.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  const binary = await which('docker-registry');
  const docker = options.docker ?? 'docker';
  // A known name, so stop() can remove the container even when its `docker run` client is gone.
  const container = `fornax-registry-${port}-${randomBytes(4).toString('hex')}`;
  let child: ChildProcess;
  if (binary) {
    child = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    child = spawn(
      docker,
      ['run', '--rm', `--name=${container}`, '--network=host', '-v', `${dir}:${dir}`, '-v', `${storage}:${storage}`, REGISTRY_IMAGE, 'serve', config],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A spawn error (ENOENT) must end the wait below, not crash the process.
  child.on('error', (error) => {
    stderr += error.message;
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const removeDirs = async (keepStorage: boolean) => {
    await rm(dir, { recursive: true, force: true });
    if (!keepStorage) await rm(storage, { recursive: true, force: true });
  };
  const stopProcess = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (!binary) await run({ command: docker, args: ['rm', '--force', container] }).catch(() => undefined);
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stopProcess();
      await removeDirs(options.storage !== undefined);
      throw new Error(`registry exited with ${child.exitCode ?? child.signalCode}: ${stderr.trim()}`);
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stopProcess();
        await removeDirs(options.storage !== undefined);
        throw new Error(`registry did not answer on ${url} within 15 s: ${stderr.trim()}`);
      }
      await sleep(50);
    }
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    port,
    storage,
    pid: child.pid,
    via: binary ? 'docker-registry' : 'registry:2',
    dirs: options.storage ? [dir] : [dir, storage],
    async stop(stopOptions = {}) {
      // What was built, pulled or tagged under this registry's name goes with it, so the engine does not fill up run
      // after run; before the port is let go, so no registry started on it since can have images yet.
      if (stopOptions.keepStorage !== true) await removeLocalImages(docker, `127.0.0.1:${port}/`).catch(() => undefined);
      await stopProcess();
      await removeDirs(stopOptions.keepStorage === true);
    },
  };
}

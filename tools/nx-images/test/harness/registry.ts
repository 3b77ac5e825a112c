import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { which } from '../../src/lib/which';

export interface Registry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops the registry; its storage is removed unless `keepStorage` (to restart on the same data). */
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

/**
 * Starts the Distribution registry on a free loopback port: the
 * `docker-registry` binary when it is on PATH (Debian's package), else the
 * `registry:2` image through Docker.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry & { storage: string; port: number }> {
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
  let child: ChildProcess;
  if (binary) {
    child = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    child = spawn(
      'docker',
      ['run', '--rm', '--network=host', '-v', `${dir}:${dir}`, 'registry:2', 'serve', config],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`registry exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`registry did not answer on ${url} within 15 s: ${stderr.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    port,
    storage,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
      if (!stopOptions.keepStorage) await rm(storage, { recursive: true, force: true });
    },
  };
}

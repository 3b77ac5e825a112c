import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { workspaceDataDirectory } from '@nx/devkit/internal';
import type { BuilderMode } from '../core/build/build-plan';

/** Raised when what is remembered changes shape, so an older file is not read. */
const VERSION = 1;

/** Where the docker CLI looks for its plugins besides the user's own folder (github.com/docker/cli, cli-plugins/manager). */
const SYSTEM_PLUGIN_DIRS = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];

/** The variables the client reads to pick its engine, its configuration and its builder. */
const ENV = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'BUILDX_BUILDER', 'HOME'];

/** What is remembered of the client findDockerCli chose (src/lib/io/docker.ts). */
export interface RememberedCli {
  docker: string;
  mode: BuilderMode;
  usesEngineStore: boolean;
}

/**
 * Which docker client builds, remembered between the processes of one
 * workspace. Nx starts a process for every task, and each would otherwise ask
 * every docker on PATH for buildx and for its version: four to six client
 * runs, about 0.3 s of CPU a task, the same answer every time.
 *
 * The answer is kept under a key of everything it was read from: each
 * candidate's file (real path, size, times, inode), the CLI plugin folders
 * and their buildx, the docker configuration and buildx's current builder,
 * and the variables the client reads. Installing or upgrading a client or
 * buildx, `docker buildx use`, `docker context use` or another PATH changes
 * the key, and the clients are asked again. Whether the engine answers is
 * never remembered: each task asks.
 */
export async function rememberedCli<Found extends RememberedCli>(candidates: readonly string[], find: () => Promise<Found>): Promise<RememberedCli | Found> {
  const file = join(workspaceDataDirectory, 'nx-images-docker-cli.json');
  const key = await cliKey(candidates);
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { key?: string; cli?: RememberedCli };
    if (saved.key === key && saved.cli && candidates.includes(saved.cli.docker)) return { ...saved.cli };
  } catch {
    // Nothing remembered yet, or a file this version cannot read: ask the clients.
  }
  const cli = await find();
  const remembered: RememberedCli = { docker: cli.docker, mode: cli.mode, usesEngineStore: cli.usesEngineStore };
  try {
    await mkdir(workspaceDataDirectory, { recursive: true });
    // Written aside and renamed over, so a task starting meanwhile reads the old answer or the new one, never half of one.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify({ key, cli: remembered }));
    await rename(partial, file);
  } catch {
    // A workspace that cannot be written to asks again next time.
  }
  return cli;
}

async function cliKey(candidates: readonly string[]): Promise<string> {
  const config = process.env.DOCKER_CONFIG || join(homedir(), '.docker');
  const paths = [
    join(config, 'config.json'),
    join(config, 'cli-plugins'),
    join(config, 'cli-plugins', 'docker-buildx'),
    join(config, 'buildx', 'current'),
    join(config, 'buildx', 'instances'),
    ...SYSTEM_PLUGIN_DIRS.flatMap((dir) => [dir, join(dir, 'docker-buildx')]),
  ];
  const facts = {
    version: VERSION,
    candidates: await Promise.all(candidates.map(async (candidate) => [candidate, await realpath(candidate).catch(() => ''), await fileFact(candidate)])),
    files: await Promise.all(paths.map(async (path) => [path, await fileFact(path)])),
    env: ENV.map((name) => [name, process.env[name] ?? null]),
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}

/** What tells one state of a file or folder from another: its inode, size and times (a folder's change when an entry is added or removed); "none" when it is not there. */
async function fileFact(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch {
    return 'none';
  }
}

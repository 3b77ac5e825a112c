import { readFile } from 'node:fs/promises';
import type { BuilderMode } from '../core/build/build-plan';
import { CommandError, run, runCaptured, runPipeline, type Captured } from './exec';
import { UserError } from '../core/errors';
import { rememberedCli } from './docker-cli-cache';
import { whichAll } from './which';

export interface DockerCli {
  /** Path of the docker client that can reach BuildKit. */
  docker: string;
  mode: BuilderMode;
  /**
   * The builder reads and writes the engine's own image store: the built-in
   * BuildKit, or buildx's `docker` driver. A builder in a container does not:
   * it pulls FROM the registry and cannot export cache inline into the engine.
   */
  usesEngineStore: boolean;
  /** The engine answered while the client was being chosen (a classic client's version is asked of it), so it need not be asked again. */
  engineAnswered?: boolean;
}

/** The Docker CLI started using BuildKit by default (and needing buildx for it) in 23.0. */
const FIRST_CLIENT_WITHOUT_BUILTIN_BUILDKIT = 23;

/**
 * Finds a docker client that builds with BuildKit: one with the buildx
 * plugin, else one older than 23.0 whose `docker build` has BuildKit built in.
 * Every `docker` on PATH is tried, in PATH order: first for buildx, then,
 * only when none has it, for its version. The answer is remembered for the
 * workspace until a client, buildx or their configuration changes
 * (docker-cli-cache.ts).
 */
export async function findDockerCli(): Promise<DockerCli> {
  const candidates = await whichAll('docker');
  if (candidates.length === 0) {
    throw new UserError({ subject: 'docker', problem: 'no docker client on PATH', fix: 'install Docker (https://docs.docker.com/engine/install/)' });
  }
  return rememberedCli(candidates, () => askCandidates(candidates));
}

/** Asks each candidate, every one at once; the first in PATH order that can build wins. */
async function askCandidates(candidates: readonly string[]): Promise<DockerCli> {
  const buildx = candidates[(await Promise.all(candidates.map((docker) => succeeds(docker, ['buildx', 'version'])))).indexOf(true)];
  if (buildx) return { docker: buildx, mode: 'buildx', usesEngineStore: (await buildxDriver(buildx)) === 'docker' };
  const versions = await Promise.all(candidates.map((docker) => clientVersion(docker).catch(() => undefined)));
  const classic = versions.findIndex((version) => version !== undefined && version.major < FIRST_CLIENT_WITHOUT_BUILTIN_BUILDKIT);
  if (classic >= 0) return { docker: candidates[classic] ?? 'docker', mode: 'classic', usesEngineStore: true, engineAnswered: versions[classic]?.engineAnswered ?? false };
  throw new UserError({
    subject: 'docker',
    problem: `BuildKit is not available: ${candidates.join(', ')} has no buildx plugin`,
    fix: 'install docker-buildx-plugin (https://github.com/docker/buildx#installing)',
  });
}

/** Fails with a clear message when the engine does not answer; asks it only when choosing the client did not already. */
export async function assertEngineRunning(cli: Pick<DockerCli, 'docker' | 'engineAnswered'>): Promise<void> {
  if (cli.engineAnswered) return;
  try {
    await run({ command: cli.docker, args: ['version', '--format={{.Server.Version}}'] }, { timeout: 30_000 });
  } catch (error) {
    const detail = error instanceof CommandError ? lastLine(error.stderr) : String(error);
    throw new UserError({ subject: 'docker', problem: `the Docker engine does not answer (${detail})`, fix: 'start it (e.g. "sudo systemctl start docker") or point DOCKER_HOST at a running one' });
  }
}

/** The digest buildx wrote to its metadata file after a push. */
export async function digestFromMetadata(file: string): Promise<string | undefined> {
  try {
    const metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const digest = metadata['containerimage.digest'];
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The manifest digest the engine recorded when it pushed this image (by ID)
 * under `name`; undefined when this image was never pushed there (another
 * build took the tag between this build and its push).
 */
export async function pushedDigest(docker: string, imageId: string, name: string): Promise<string | undefined> {
  const { stdout } = await run({ command: docker, args: ['image', 'inspect', '--format={{json .RepoDigests}}', '--', imageId] });
  const digests = JSON.parse(stdout) as string[] | null;
  const match = (digests ?? []).find((entry) => entry.startsWith(`${name}@`));
  return match?.slice(name.length + 1);
}

/** The driver of a buildx builder, the current one by default (`docker`, `docker-container`, ...); undefined when it cannot be told. */
export async function buildxDriver(docker: string, builder?: string): Promise<string | undefined> {
  try {
    const { stdout } = await run({ command: docker, args: ['buildx', 'inspect', ...(builder ? [builder] : [])] }, { timeout: 30_000 });
    return /^Driver:\s+(\S+)/m.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run({ command, args }, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The client's major version; `docker version` asks the engine too, so whether it answered comes with it. */
async function clientVersion(docker: string): Promise<{ major: number; engineAnswered: boolean } | undefined> {
  const parse = (stdout: string, engineAnswered: boolean) => {
    const major = Number.parseInt(stdout.trim(), 10);
    return Number.isNaN(major) ? undefined : { major, engineAnswered };
  };
  try {
    const { stdout } = await run({ command: docker, args: ['version', '--format={{.Client.Version}}'] }, { timeout: 30_000 });
    return parse(stdout, true);
  } catch (error) {
    // `docker version` exits non-zero when the engine is down but still prints the client version.
    if (error instanceof CommandError && !error.notFound) return parse(error.stdout, false);
    throw error;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/**
 * The local engine's image under `reference`: its ID, and the manifest
 * digest it was pulled or pushed with under that name, if any; undefined
 * when the engine has no such image.
 */
export async function localImage(docker: string, reference: string): Promise<{ id: string; digest?: string } | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run({ command: docker, args: ['image', 'inspect', '--format={{json .Id}} {{json .RepoDigests}}', '--', reference] }));
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return undefined;
    throw error;
  }
  const [idJson = '""', digestsJson = 'null'] = stdout.trim().split(' ');
  const id = JSON.parse(idJson) as string;
  const name = reference.slice(0, reference.lastIndexOf(':') > reference.lastIndexOf('/') ? reference.lastIndexOf(':') : reference.length);
  const digest = ((JSON.parse(digestsJson) as string[] | null) ?? []).find((entry) => entry.startsWith(`${name}@`))?.slice(name.length + 1);
  return { id, ...(digest ? { digest } : {}) };
}

/** Gives a local image one more tag. */
export async function tagImage(docker: string, id: string, reference: string): Promise<void> {
  await run({ command: docker, args: ['image', 'tag', id, reference] });
}

/** Removes one tag from the local engine, leaving the image when other tags hold it; a tag already gone is no error. */
export async function untagImage(docker: string, reference: string): Promise<void> {
  try {
    await run({ command: docker, args: ['image', 'rm', '--no-prune', '--', reference] });
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return;
    throw error;
  }
}

/** True when the local engine has an image under this reference. */
export async function hasLocalImage(docker: string, reference: string): Promise<boolean> {
  return (await localImage(docker, reference)) !== undefined;
}

/** `docker save <reference> | zstd`: the image as one compressed file (an artifact for a later job). */
export async function saveImage(docker: string, reference: string, file: string): Promise<void> {
  await runPipeline({ command: docker, args: ['image', 'save', reference] }, { command: 'zstd', args: ['-T0', '-3', '-q', '-f', '-o', file] });
}

/** `zstd -dc <file> | docker load`: an image saved by saveImage, back into the engine under its tags. */
export async function loadImage(docker: string, file: string): Promise<void> {
  await runPipeline({ command: 'zstd', args: ['-dc', '--', file] }, { command: docker, args: ['image', 'load', '--quiet'] });
}

/** A command to run in a throwaway container of an image. */
export interface InImage {
  /** An image ID, or a reference pinned by digest: never a tag another build could move. */
  image: string;
  argv: string[];
  /** `host:container[:ro]` bind mounts. */
  volumes?: string[];
  env?: Record<string, string>;
  workdir?: string;
  entrypoint?: string;
  /** How much of its output to keep (all of it streams). */
  keepBytes: number;
}

/**
 * Runs a command in a throwaway container of an image, with no network, its
 * output streaming; the exit code is the caller's verdict (an image's tests,
 * its lock command). Every value is passed as --flag=value, the image after `--`.
 */
export function runInImage(docker: string, spec: InImage): Promise<Captured> {
  const args = ['run', '--rm', '--network=none'];
  for (const volume of spec.volumes ?? []) args.push(`--volume=${volume}`);
  for (const [name, value] of Object.entries(spec.env ?? {})) args.push(`--env=${name}=${value}`);
  if (spec.workdir) args.push(`--workdir=${spec.workdir}`);
  if (spec.entrypoint) args.push(`--entrypoint=${spec.entrypoint}`);
  return runCaptured({ command: docker, args: [...args, '--', spec.image, ...spec.argv] }, { keepBytes: spec.keepBytes });
}

/**
 * Copies `path` out of an image into `dest` on this machine (which must not
 * exist yet): docker create, docker cp, then docker rm, which runs even when
 * the copy failed, so no container is left behind. The image is an ID or a
 * reference pinned by digest; a registry image is pulled.
 */
export async function extractFromImage(docker: string, image: string, path: string, dest: string): Promise<void> {
  // The command is never run; an image FROM scratch has none, and create needs one.
  const { stdout } = await run({ command: docker, args: ['container', 'create', '--network=none', '--', image, '/nonexistent'] }, { timeout: 600_000 });
  const container = stdout.trim().split('\n').at(-1) ?? '';
  try {
    await run({ command: docker, args: ['container', 'cp', '--', `${container}:${path}`, dest] }, { timeout: 600_000 });
  } finally {
    await run({ command: docker, args: ['container', 'rm', '--force', '--', container] });
  }
}

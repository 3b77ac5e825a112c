import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { UserError } from '../core/errors';
import { isArtifactOf } from '../core/naming/conventions';
import {
  LEGACY_LOCKS_ARTIFACT_TYPES,
  LOCK_FILES_ANNOTATION,
  LOCKS_ARTIFACT_TYPE,
  LOCKS_INDEX_FILE,
  LOCKS_MOUNT,
  lockArchiveName,
  lockCommand,
  lockFilesProblem,
  NO_LOCKS_FILE,
  noLocksText,
  parseLockIndex,
  type LockIndex,
} from '../core/evidence/locks';
import { runInImage } from './docker';
import type { Attached, ReferrersApi } from './registry/referrers';

/** An image's lock files, and why there are none when there are none. */
export interface LockSet {
  index: LockIndex;
  files: { name: string; bytes: Buffer }[];
}

/**
 * Runs the lock command inside the image (by its ID; no network; the lock
 * folder mounted at LOCKS_DIR) and reads what it wrote. The built-in
 * command in an image with no shell gives an empty set, not a failure; any
 * other failing command is an error naming the image.
 */
export async function exportLocks(docker: string, image: string, imageId: string, configured: readonly string[]): Promise<LockSet> {
  const { argv, builtIn } = lockCommand(configured);
  const [entrypoint = 'sh', ...args] = argv;
  const dir = await mkdtemp(join(tmpdir(), 'fornax-locks-'));
  try {
    // The image's user may not be root.
    await chmod(dir, 0o777);
    const result = await runInImage(docker, { image: imageId, entrypoint, argv: args, volumes: [`${dir}:${LOCKS_MOUNT}`], env: { LOCKS_DIR: LOCKS_MOUNT }, keepBytes: 16 * 1024 });
    // 126/127: docker could not start the entrypoint, e.g. an image FROM scratch with no shell.
    if (builtIn && (result.exitCode === 126 || result.exitCode === 127)) {
      return { index: { image, imageId, files: [], note: 'the image has no shell, so nothing could be asked of it' }, files: [] };
    }
    if (result.exitCode !== 0) {
      const last = result.output.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
      throw new UserError({
        subject: image,
        problem: `the lock command ${argv.slice(0, 2).join(' ')}... exited with ${result.exitCode}${last ? ` (${last})` : ''}`,
        fix: 'fix it (lockCommand in the plugin options or the image\'s docker-build options); nothing was pushed',
      });
    }
    const entries = await readdir(dir);
    const described = await Promise.all(
      entries.map(async (name) => {
        const stat = await lstat(join(dir, name));
        return { name, size: stat.size, kind: stat.isFile() ? ('file' as const) : ('other' as const) };
      }),
    );
    const problem = lockFilesProblem(image, described);
    if (problem) throw new UserError(problem);
    const files = [];
    for (const name of entries.sort()) files.push({ name, bytes: await readFile(join(dir, name)) });
    const index: LockIndex = { image, imageId, files: files.map((file) => file.name), ...(files.length === 0 ? { note: builtIn ? 'the image has neither conda nor pip' : 'its lock command wrote none' } : {}) };
    return { index, files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Attaches a lock set to the pushed image's digest: locks.json first, then each lock file, as text. */
export function attachLocks(client: ReferrersApi, repoPath: string, digest: string, locks: LockSet): Promise<Attached> {
  return client.attach(repoPath, digest, {
    artifactType: LOCKS_ARTIFACT_TYPE,
    files: [
      { title: LOCKS_INDEX_FILE, mediaType: 'application/json', bytes: Buffer.from(`${JSON.stringify(locks.index, null, 2)}\n`) },
      ...locks.files.map((file) => ({ title: file.name, mediaType: 'text/plain', bytes: file.bytes })),
    ],
    annotations: { [LOCK_FILES_ANNOTATION]: String(locks.files.length) },
  });
}

/** The lock set attached to a digest (the newest, when there are several); undefined when none is. */
export async function readLocks(client: ReferrersApi, repoPath: string, digest: string): Promise<LockSet | undefined> {
  // Lock sets attached under the legacy type are read too.
  const attached = (await client.referrers(repoPath, digest)).filter((entry) => isArtifactOf(entry.artifactType, LOCKS_ARTIFACT_TYPE, LEGACY_LOCKS_ARTIFACT_TYPES));
  const newest = attached.at(-1);
  if (!newest) return undefined;
  const artifact = await client.readArtifact(repoPath, newest.digest);
  const indexFile = artifact.files.find((file) => file.title === LOCKS_INDEX_FILE);
  const index = indexFile ? parseLockIndex(indexFile.bytes) : undefined;
  if (!index) throw new UserError({ subject: `${repoPath}@${digest.slice(0, 19)}`, problem: `its lock set ${newest.digest.slice(0, 19)} has no readable ${LOCKS_INDEX_FILE}`, fix: 'push the image again to attach a new one' });
  const files = index.files.map((name) => {
    const file = artifact.files.find((candidate) => candidate.title === name);
    if (!file) throw new UserError({ subject: `${repoPath}@${digest.slice(0, 19)}`, problem: `its lock set lists ${name} but does not hold it`, fix: 'push the image again to attach a new one' });
    return { name, bytes: file.bytes };
  });
  return { index, files };
}

/**
 * Writes `<dir>/<image>-<tag>-locks.tar.gz`: `<image>/<file>` for each lock
 * file, or `<image>/NO-LOCK-FILES.txt` saying why there are none. The same
 * set always makes the same archive (fixed times and owners).
 */
export async function writeLockArchive(dir: string, image: string, tag: string, digest: string, locks: LockSet): Promise<string> {
  const staging = await mkdtemp(join(tmpdir(), 'fornax-lock-archive-'));
  try {
    await mkdir(join(staging, image));
    const files = locks.files.length > 0 ? locks.files : [{ name: NO_LOCKS_FILE, bytes: Buffer.from(noLocksText(image, digest, locks.index.note)) }];
    for (const file of files) await writeFile(join(staging, image, file.name), file.bytes);
    await mkdir(dir, { recursive: true });
    const archive = join(dir, lockArchiveName(image, tag));
    await createTar({ gzip: true, file: archive, cwd: staging, portable: true, mtime: new Date(0), noDirRecurse: false }, files.map((file) => `${image}/${file.name}`));
    return archive;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

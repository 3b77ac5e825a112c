/**
 * `npm run ci:free-disk`: makes room on a hosted runner before an image
 * build, as upstream does: removes the preinstalled toolchains no build here
 * uses, and the engine's preinstalled images, logging the free space before
 * and after. FREE_DISK_PATHS (comma- or newline-separated) replaces the
 * list of folders; FREE_DISK_DOCKER=false leaves the engine alone.
 */
import { existsSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { envFlag } from '../lib/core/ci/env-flag';
import { errorMessage, UserError } from '../lib/core/errors';
import { pathsToFree } from '../lib/core/ci/free-disk';
import { findDockerCli } from '../lib/io/docker';
import { run } from '../lib/io/exec';

async function freeGiB(path: string): Promise<string> {
  const stats = await statfs(path);
  return ((stats.bavail * stats.bsize) / 2 ** 30).toFixed(1);
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const paths = pathsToFree(env.FREE_DISK_PATHS);
  console.log(`ci:free-disk: ${await freeGiB('/')} GiB free before`);
  const root = process.getuid?.() === 0;
  for (const path of paths.filter((candidate) => existsSync(candidate))) {
    // A hosted runner's user may remove them only through sudo; root (and a test) needs no sudo.
    if (root) await rm(path, { recursive: true, force: true });
    else await run({ command: 'sudo', args: ['rm', '-rf', '--', path] });
    console.log(`ci:free-disk: removed ${path}`);
  }
  if (envFlag('FREE_DISK_DOCKER', env.FREE_DISK_DOCKER, true)) {
    const { docker } = await findDockerCli();
    await run({ command: docker, args: ['image', 'prune', '--all', '--force'] });
    await run({ command: docker, args: ['builder', 'prune', '--all', '--force'] });
    console.log("ci:free-disk: removed the engine's images and build cache");
  }
  console.log(`ci:free-disk: ${await freeGiB('/')} GiB free after`);
}

main(process.env).catch((error: unknown) => {
  console.error(error instanceof UserError ? errorMessage(error) : `ci:free-disk: ${errorMessage(error)}`);
  process.exitCode = 1;
});

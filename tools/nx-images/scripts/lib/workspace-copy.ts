import { cp, copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { run, type RunResult } from '../../src/lib/io/exec';
import { nxCommand } from '../../src/lib/io/nx-cli';

/** The repository these scripts live in. */
export const repoRoot = resolve(__dirname, '../../../..');

export interface ImageSource {
  /** Folder name under images/, and so the Nx project's name. */
  name: string;
  /** Folder whose files become images/<name>/ (an offline Dockerfile and what it copies). */
  files: string;
}

export interface WorkspaceCopyOptions {
  /** Branch of the copy's only commit. */
  branch: string;
  images: ImageSource[];
  /** Static busybox copied next to every image's Dockerfile. */
  busybox: string;
  /** Name prefix of the temporary folder. */
  prefix: string;
}

export interface WorkspaceCopy {
  dir: string;
  branch: string;
  git(args: string[]): Promise<string>;
  /** Runs this workspace's Nx; `stream` shows its output as it runs (and returns none). */
  nx(args: string[], options?: { stream?: boolean }): Promise<RunResult>;
  /** Commits every change; returns the new commit's sha. */
  commit(message: string): Promise<string>;
  /** Removes the folder, and with it the copy's git repository and branch. */
  remove(): Promise<void>;
}

// Identity and settings of the copy's commits, so the user's git config (signing, hooks) plays no part.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Fornax Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.invalid',
  GIT_COMMITTER_NAME: 'Fornax Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.invalid',
};
const GIT_SETTINGS = ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'init.defaultBranch=main'];

/**
 * A throwaway copy of this workspace in a fresh git repository under the
 * temporary folder: the real nx.json, package.json and plugin, node_modules
 * linked, and only the given images. Nothing is written to the repository.
 */
export async function createWorkspaceCopy(options: WorkspaceCopyOptions): Promise<WorkspaceCopy> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  const git = async (args: string[]) => (await run({ command: 'git', args: [...GIT_SETTINGS, ...args], cwd: dir, env: GIT_ENV })).stdout.trim();
  const copy: WorkspaceCopy = {
    dir,
    branch: options.branch,
    git,
    nx: (args, runOptions = {}) => run(nxCommand(args, dir, { NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true' }), { stream: runOptions.stream }),
    async commit(message) {
      await git(['add', '--all']);
      await git(['commit', '--quiet', '--allow-empty', `--message=${message}`]);
      return git(['rev-parse', 'HEAD']);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  try {
    for (const file of ['nx.json', 'package.json', 'tsconfig.base.json']) await copyFile(join(repoRoot, file), join(dir, file));
    const tests = join('nx-images', 'test') + sep;
    await cp(join(repoRoot, 'tools'), join(dir, 'tools'), {
      recursive: true,
      filter: (source) => !`${source}${sep}`.includes(tests) && !source.split(sep).includes('node_modules'),
    });
    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const image of options.images) {
      const target = join(dir, 'images', image.name);
      await mkdir(target, { recursive: true });
      await cp(image.files, target, { recursive: true });
      await copyFile(options.busybox, join(target, 'busybox'));
    }
    await writeFile(join(dir, '.gitignore'), 'node_modules\ndist\n.nx\n');
    await git(['init', '--quiet', `--initial-branch=${options.branch}`]);
    await copy.commit('workspace copy');
    return copy;
  } catch (error) {
    await copy.remove();
    throw error;
  }
}

/** Folder names under `dir`, for listing fixture images. */
export async function folders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/**
 * Removes the variables of a CI run (GITHUB_*, IMAGE_*, REGISTRY_*, NX_*,
 * RUNNER_*) from `env`, so a local run picks its tag, registry and
 * repository from the options and the copy's branch only. Returns the names removed.
 */
export function forgetCiVariables(env: NodeJS.ProcessEnv): string[] {
  const removed = Object.keys(env).filter((name) => /^(GITHUB_|IMAGE_|REGISTRY_|NX_|RUNNER_)/.test(name));
  for (const name of removed) Reflect.deleteProperty(env, name);
  return removed;
}

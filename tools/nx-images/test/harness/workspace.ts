import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';

/** The repository this test suite lives in. */
export const repoRoot = resolve(__dirname, '../../../..');
const fixtureImages = resolve(__dirname, '../fixtures/images');
const busybox = '/bin/busybox';

export interface Workspace {
  dir: string;
  /** Runs git in the workspace; takes the arguments spread or as one array. */
  git(...args: (string | string[])[]): Promise<string>;
  /** Runs the workspace's Nx; never throws: look at `exitCode`. */
  nx(args: string[], env?: Record<string, string | undefined>): Promise<RunOutput>;
  /** Runs a command in the workspace; never throws. */
  exec(command: string, args: string[], env?: Record<string, string | undefined>): Promise<RunOutput>;
  write(path: string, content: string): void;
  /** Writes `files` (path -> content), commits everything, returns the new commit's sha. */
  commit(message: string, files?: Record<string, string>): Promise<string>;
  /** Checks out a new branch off main; with `files`, commits them there as `<name>: change`. Returns the branch's commit. */
  branch(name: string, files?: Record<string, string>): Promise<string>;
  cleanup(): void;
  /** The same as cleanup. */
  remove(): Promise<void>;
}
/** Older name of Workspace. */
export type TempWorkspace = Workspace;

export interface RunOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved. */
  all: string;
}

/**
 * A throwaway copy of this workspace in a fresh git repository: the real
 * nx.json and plugin, with the offline fixture Dockerfiles (static busybox on
 * scratch) in place of the real images.
 */
export interface WorkspaceOptions {
  branch?: string;
  origin?: string;
  /**
   * A fixture tree under test/fixtures/ whose folders become the images (a
   * `project.fixture.json` becomes the image's project.json); default: the
   * stand-ins of this repository's own images.
   */
  tree?: string;
  /** Options of the @fornax/nx-images plugin in the copy's nx.json, in place of the repository's. */
  pluginOptions?: Record<string, unknown>;
  /** Where a fixture tree's image folders go: under images/ (ours, docker-stacks') or at the root (fornax-images'). */
  layout?: 'images' | 'root';
}

export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-ws-'));
  for (const file of ['nx.json', 'package.json', 'tsconfig.base.json']) copyFileSync(join(repoRoot, file), join(dir, file));
  if (options.pluginOptions) {
    const nxJson = JSON.parse(readFileSync(join(dir, 'nx.json'), 'utf8')) as { plugins?: unknown[] };
    nxJson.plugins = [{ plugin: '@fornax/nx-images', options: options.pluginOptions }];
    writeFileSync(join(dir, 'nx.json'), `${JSON.stringify(nxJson, null, 2)}\n`);
  }
  cpSync(join(repoRoot, 'tools'), join(dir, 'tools'), {
    recursive: true,
    filter: (source) => !source.includes(join('nx-images', 'test')) && !source.endsWith('node_modules'),
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const fixtures = options.tree ? resolve(fixtureImages, '..', options.tree) : fixtureImages;
  const images = options.tree ? readdirSync(fixtures) : readdirSync(join(repoRoot, 'images'));
  for (const image of images) {
    const fixture = join(fixtures, image);
    if (!existsSync(fixture)) continue;
    const target = options.layout === 'root' ? join(dir, image) : join(dir, 'images', image);
    mkdirSync(target, { recursive: true });
    cpSync(fixture, target, { recursive: true });
    if (existsSync(join(target, 'project.fixture.json'))) renameSync(join(target, 'project.fixture.json'), join(target, 'project.json'));
    // In a fixture tree only an image built FROM scratch gets the static busybox; tests may rewrite the stand-ins' Dockerfiles.
    if (!options.tree || readFileSync(join(target, 'Dockerfile'), 'utf8').includes('COPY busybox')) copyFileSync(busybox, join(target, 'busybox'));
  }
  writeFileSync(join(dir, '.gitignore'), 'node_modules\ndist\n.nx\n');
  const env = { NO_COLOR: '1', FORCE_COLOR: '0', NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_TUI: 'false', CI: 'true' };
  const exec = async (command: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<RunOutput> => {
    const result = await execa(command, args, {
      cwd: dir,
      env: { ...cleanEnv(), ...env, ...extra },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
    });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all ?? '' };
  };
  const git = async (...parts: (string | string[])[]): Promise<string> => {
    const args = parts.flat();
    const result = await exec('git', args);
    if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  await git('init', '--quiet', `--initial-branch=${options.branch ?? 'main'}`);
  await git('config', 'user.email', 'test@example.invalid');
  await git('config', 'user.name', 'Fornax Test');
  await git('config', 'commit.gpgsign', 'false');
  if (options.origin) await git('remote', 'add', 'origin', options.origin);
  const workspace: Workspace = {
    dir,
    git,
    exec,
    nx: (args, extra) => exec(process.execPath, [join(repoRoot, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], extra),
    write(path, content) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    },
    async commit(message, files = {}) {
      for (const [path, content] of Object.entries(files)) workspace.write(path, content);
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    async branch(name, files) {
      await git('checkout', '--quiet', 'main');
      await git('checkout', '--quiet', '-b', name);
      return files ? workspace.commit(`${name}: change`, files) : git('rev-parse', 'HEAD');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
  await workspace.commit('initial workspace');
  return workspace;
}

/** This process's environment without the GitHub and image variables a test must set itself. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(GITHUB_|IMAGE_|REGISTRY_|NX_|RUNNER_)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { cleanEnv, repoRoot, type RunOutput } from './process-env';
import { unpackedPlugin } from './packed-plugin';

export { cleanEnv, repoRoot, type RunOutput } from './process-env';

const fixtureImages = resolve(__dirname, '../fixtures/images');
const busybox = '/bin/busybox';

export interface Workspace {
  dir: string;
  /** How it has the plugin (see WorkspaceOptions.plugin); a checkout of it links its node_modules the same way. */
  plugin: PluginSource;
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
  /**
   * How the workspace gets the plugin. `compiled` (the default): the packed
   * plugin, unpacked once per state of the sources, as node_modules/@fornax/nx-images,
   * with the ci:* scripts calling its nx-images bin, as an adopter's
   * repository has it. `source`: tools/nx-images copied in and registered
   * through tsconfig paths, as this repository runs it (every nx process
   * transpiles it).
   */
  plugin?: PluginSource;
}

export type PluginSource = 'compiled' | 'source';

/** The ci:* scripts of an adopter's package.json (what `init` writes), calling the package's bin. */
const BIN_SCRIPTS: Record<string, string> = { 'ci:images': 'nx-images images', 'ci:release': 'nx-images release', 'ci:free-disk': 'nx-images free-disk' };
const NX_ENV = { NO_COLOR: '1', FORCE_COLOR: '0', NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_TUI: 'false', CI: 'true' };

export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-ws-'));
  const plugin = options.plugin ?? 'compiled';
  for (const file of ['nx.json', 'package.json', 'tsconfig.base.json']) copyFileSync(join(repoRoot, file), join(dir, file));
  if (options.pluginOptions) {
    const nxJson = JSON.parse(readFileSync(join(dir, 'nx.json'), 'utf8')) as { plugins?: unknown[] };
    nxJson.plugins = [{ plugin: '@fornax/nx-images', options: options.pluginOptions }];
    writeFileSync(join(dir, 'nx.json'), `${JSON.stringify(nxJson, null, 2)}\n`);
  }
  if (plugin === 'source') {
    cpSync(join(repoRoot, 'tools'), join(dir, 'tools'), {
      recursive: true,
      filter: (source) => !source.includes(join('nx-images', 'test')) && !source.endsWith('node_modules'),
    });
  } else {
    const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    packageJson.scripts = { ...packageJson.scripts, ...BIN_SCRIPTS };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  }
  await linkNodeModules(dir, plugin);
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
  const workspace = openWorkspace(dir, plugin);
  await workspace.git('init', '--quiet', `--initial-branch=${options.branch ?? 'main'}`);
  await workspace.git('config', 'user.email', 'test@example.invalid');
  await workspace.git('config', 'user.name', 'Fornax Test');
  await workspace.git('config', 'commit.gpgsign', 'false');
  if (options.origin) await workspace.git('remote', 'add', 'origin', options.origin);
  await workspace.commit('initial workspace');
  return workspace;
}

/** The Workspace API over a folder that already is one (a copy of a workspace, see built-main.ts): git, nx and files. */
export function openWorkspace(dir: string, plugin: PluginSource): Workspace {
  const exec = async (command: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<RunOutput> => {
    const result = await execa(command, args, {
      cwd: dir,
      env: { ...cleanEnv(), ...NX_ENV, ...extra },
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
  const workspace: Workspace = {
    dir,
    plugin,
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
  return workspace;
}

/**
 * Gives a checkout of a test workspace (the workspace itself, or a clone of
 * it a fan-out job works in) its node_modules: this repository's, linked;
 * with the compiled plugin, a folder of links to each of its packages plus
 * @fornax/nx-images and the nx-images bin, so nothing is written into this
 * repository's own node_modules.
 */
export async function linkNodeModules(dir: string, plugin: PluginSource): Promise<void> {
  const modules = join(repoRoot, 'node_modules');
  if (plugin === 'source') {
    symlinkSync(modules, join(dir, 'node_modules'), 'dir');
    return;
  }
  const compiled = await unpackedPlugin();
  const target = join(dir, 'node_modules');
  mkdirSync(join(target, '.bin'), { recursive: true });
  mkdirSync(join(target, '@fornax'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    if (entry === '.bin' || entry === '@fornax') continue;
    symlinkSync(join(modules, entry), join(target, entry));
  }
  for (const entry of readdirSync(join(modules, '.bin'))) symlinkSync(realpathSync(join(modules, '.bin', entry)), join(target, '.bin', entry));
  symlinkSync(compiled, join(target, '@fornax', 'nx-images'), 'dir');
  symlinkSync(join(compiled, 'src', 'bin', 'nx-images.js'), join(target, '.bin', 'nx-images'));
}


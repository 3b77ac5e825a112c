/**
 * The plugin as users get it: the `.tgz` of `npm run plugin:pack`, installed
 * into a scratch repository with nothing but Nx beside it.
 *
 * How to use it (in a `*.int.test.ts`, inside `beforeAll`):
 *
 *   const tgz = await packedPlugin();           // packs at most once per state of the sources, shared by every test file and run
 *   const installed = await installPacked(dir); // dir: any folder, with or without package.json; git is up to the test
 *   await installed.nx(['show', 'projects']);   // the scratch repository's own Nx (node_modules/nx), never this workspace's
 *   await installed.bin(['images', '--plan']);  // node_modules/.bin/nx-images, as `npx nx-images` runs it
 *   await installed.exec('npx', ['nx', 'g', '@fornax/nx-images:init', '--no-interactive']);
 *
 * `installPacked` packs first when needed, runs `npm install --no-audit
 * --no-fund --prefer-offline --save-exact <tgz> nx@<ours> @nx/devkit@<ours>`
 * (about 10 s with a warm npm cache), and adds `node_modules` to the
 * folder's .gitignore when it is not there, so the install is never a change
 * Nx or git sees. Every command runs with Nx's daemon, cloud, TUI and plugin
 * isolation off (as workspace.ts runs Nx) and without this process's
 * GITHUB_, IMAGE_, REGISTRY_ and NX_ variables; pass `env` to set any
 * (e.g. NX_ISOLATE_PLUGINS: 'true'). Commands never throw: look at `exitCode`.
 * A test that wants the .tgz's path only (to list or unpack it) calls
 * `packedPlugin()`; `installed.tgz` is the same path.
 *
 * The pack is cached as <os.tmpdir()>/fornax-nx-images-pack/<hash>.tgz,
 * keyed by the contents of tools/nx-images/src, docs/ and the files that
 * shape the build; concurrent test files wait on one lock rather than pack twice.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, copyFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { makeOnce } from './make-once';
import { cleanEnv, repoRoot, type RunOutput } from './process-env';

const pluginRoot = join(repoRoot, 'tools', 'nx-images');
const cacheDir = join(tmpdir(), 'fornax-nx-images-pack');
/** Besides tools/nx-images/src, what changes the packed package. */
const PACK_INPUTS = [
  'package.json',
  'tsconfig.base.json',
  'README.md',
  'tools/nx-images/package.json',
  'tools/nx-images/project.json',
  'tools/nx-images/tsconfig.lib.json',
  'tools/nx-images/executors.json',
  'tools/nx-images/generators.json',
  'tools/nx-images/scripts/pack.ts',
];
// A pack takes about 25 s; a lock older than this belongs to a process that died.
const STALE_LOCK_MS = 5 * 60_000;
// Plugins in-process, as workspace.ts runs Nx: isolation costs seconds per nx process; pass NX_ISOLATE_PLUGINS=true to test it.
const NX_ENV = { NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' };

export interface InstalledPlugin {
  dir: string;
  /** The .tgz that was installed. */
  tgz: string;
  /** How long `npm install` took, in milliseconds. */
  installMs: number;
  /** Runs the scratch repository's Nx. */
  nx(args: string[], env?: Record<string, string | undefined>): Promise<RunOutput>;
  /** Runs the package's `nx-images` bin through node_modules/.bin, shebang and all. */
  bin(args: string[], env?: Record<string, string | undefined>): Promise<RunOutput>;
  /** Runs any command in the scratch repository. */
  exec(command: string, args: string[], env?: Record<string, string | undefined>): Promise<RunOutput>;
}

let packing: Promise<string> | undefined;
let unpacking: Promise<string> | undefined;
let behaviour: Promise<string> | undefined;

/** The absolute path of the packed plugin's .tgz for the sources as they are now. */
export function packedPlugin(): Promise<string> {
  packing ??= packOnce();
  return packing;
}

/**
 * A hash of what the plugin does: the pack's inputs but its prose (README.md
 * and docs/, which the package ships but no code reads). Contents only, so
 * the same in every clone of one commit; what is built with the plugin is
 * keyed by it, and an edit to the docs leaves those caches warm.
 */
export function pluginBehaviourKey(): Promise<string> {
  behaviour ??= sourceHash({ prose: false });
  return behaviour;
}

/**
 * The packed plugin unpacked once per state of the sources into
 * <repo>/dist/test-plugin/<hash>: the compiled package, whose requires
 * resolve through this workspace's node_modules. Test workspaces link it as
 * node_modules/@fornax/nx-images, so their nx processes load JavaScript
 * rather than transpile the sources (about half of each nx start).
 */
export function unpackedPlugin(): Promise<string> {
  unpacking ??= unpackOnce();
  return unpacking;
}

async function unpackOnce(): Promise<string> {
  const tgz = await packedPlugin();
  const target = join(repoRoot, 'dist', 'test-plugin', basename(tgz, '.tgz'));
  const entry = join(target, 'package', 'package.json');
  if (existsSync(entry)) return join(target, 'package');
  const partial = `${target}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await execa('tar', ['-xzf', tgz, '-C', partial]);
  await chmod(join(partial, 'package', 'src', 'bin', 'nx-images.js'), 0o755);
  // Another test file may have unpacked the same hash meanwhile: either copy is the same.
  await rename(partial, target).catch(async () => rm(partial, { recursive: true, force: true }));
  return join(target, 'package');
}

/** Installs the packed plugin, nx and @nx/devkit (the versions this workspace tests) into `dir`. */
export async function installPacked(dir: string): Promise<InstalledPlugin> {
  const tgz = await packedPlugin();
  const nxVersion = (JSON.parse(await readFile(join(repoRoot, 'node_modules', 'nx', 'package.json'), 'utf8')) as { version: string }).version;
  await ignoreNodeModules(dir);
  const exec = (command: string, args: string[], env: Record<string, string | undefined> = {}) => runIn(dir, command, args, env);
  const start = performance.now();
  const install = await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-exact', tgz, `nx@${nxVersion}`, `@nx/devkit@${nxVersion}`]);
  const installMs = performance.now() - start;
  if (install.exitCode !== 0) throw new Error(`npm install of ${tgz} in ${dir} failed (exit ${install.exitCode}):\n${install.all.slice(-2000)}`);
  return {
    dir,
    tgz,
    installMs,
    exec,
    nx: (args, env) => exec(process.execPath, [join(dir, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], env),
    bin: (args, env) => exec(join(dir, 'node_modules', '.bin', 'nx-images'), args, env),
  };
}

async function packOnce(): Promise<string> {
  const key = await sourceHash();
  const cached = join(cacheDir, `${key}.tgz`);
  await mkdir(cacheDir, { recursive: true });
  return makeOnce({
    lock: join(cacheDir, `${key}.lock`),
    staleMs: STALE_LOCK_MS,
    made: () => (existsSync(cached) ? cached : undefined),
    async make() {
      const result = await runIn(repoRoot, 'npm', ['run', '--silent', 'plugin:pack']);
      const tgz = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
      if (result.exitCode !== 0 || !tgz.endsWith('.tgz') || !existsSync(tgz)) {
        throw new Error(`npm run plugin:pack failed (exit ${result.exitCode}) or printed no .tgz as its last line:\n${result.all.slice(-3000)}`);
      }
      // Copied then renamed, so a reader never sees half a file.
      const partial = `${cached}.${process.pid}.partial`;
      await copyFile(tgz, partial);
      await rename(partial, cached);
      return cached;
    },
  });
}

/** sha256 over the path and bytes of every file that goes into the pack; without `prose`, of all but README.md and docs/. */
async function sourceHash({ prose }: { prose: boolean } = { prose: true }): Promise<string> {
  const hash = createHash('sha256');
  const entries = [
    ...(await readdir(join(pluginRoot, 'src'), { recursive: true, withFileTypes: true })),
    ...(prose ? await readdir(join(repoRoot, 'docs'), { withFileTypes: true }) : []),
  ];
  const sources = entries.filter((entry) => entry.isFile()).map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
  for (const path of [...PACK_INPUTS.filter((input) => prose || input !== 'README.md'), ...sources.sort()]) {
    hash.update(`${path}\0`);
    hash.update(existsSync(join(repoRoot, path)) ? await readFile(join(repoRoot, path)) : '(missing)');
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function ignoreNodeModules(dir: string): Promise<void> {
  const gitignore = join(dir, '.gitignore');
  const lines = existsSync(gitignore) ? (await readFile(gitignore, 'utf8')).split('\n').map((line) => line.trim()) : [];
  if (lines.some((line) => ['node_modules', 'node_modules/', '/node_modules', '/node_modules/'].includes(line))) return;
  const text = existsSync(gitignore) ? await readFile(gitignore, 'utf8') : '';
  await appendFile(gitignore, `${text === '' || text.endsWith('\n') ? '' : '\n'}node_modules\n`);
}

async function runIn(cwd: string, command: string, args: string[], env: Record<string, string | undefined> = {}): Promise<RunOutput> {
  const result = await execa(command, args, { cwd, env: { ...cleanEnv(), ...NX_ENV, ...env }, extendEnv: false, reject: false, all: true, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all ?? '' };
}

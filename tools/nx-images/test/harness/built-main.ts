/**
 * A fixture workspace whose `main` is already built and pushed, shared by
 * every test that starts from one.
 *
 * How to use it (in a `*.int.test.ts`, in `beforeAll` or at the start of a test):
 *
 *   const main = await fromBuiltMain(TWO_IMAGES);  // a copy of the workspace and of the registry's storage
 *   main.ws.branch(...); runCiImages(main.ws, ..., main.registry.host, ...)
 *   await main.cleanup();                           // stops the registry, removes both copies
 *
 * `main` is built once per state of the plugin's sources, the fixture tree
 * and the spec, by `npm run ci:images` on a push to main (exactly as a test
 * would build it), into <os.tmpdir()>/fornax-built-main/<hash>/: the
 * workspace (its git repository and files; no node_modules) and the
 * registry's storage. Every caller gets its own copy of both and a registry
 * of its own on a free loopback port, so tests may branch, push and break
 * things without meeting each other. Concurrent test files wait on one lock
 * rather than build twice.
 *
 * The labels of main's images name the registry main was built against
 * (`builtOn`), not the copy's port: a test reading a reference out of
 * main's labels compares it with `builtOn`.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { REAL_CONVENTION } from '../fixtures/fornax-tree';
import { runCiImages, type EventSpec, type SimulatedRun } from './github-run';
import { readImage, type ImageInRegistry } from './read-image';
import { makeOnce } from './make-once';
import { pluginBehaviourKey } from './packed-plugin';
import { repoRoot } from './process-env';
import { startRegistry, type StartedRegistry } from './registry';
import { createWorkspace, linkNodeModules, openWorkspace, type Workspace, type WorkspaceOptions } from './workspace';

/** Raised when what is cached changes shape, so an older cache is not read. */
const CACHE_VERSION = 1;
const cacheRoot = join(tmpdir(), 'fornax-built-main');
// Building the twelve-image tree takes about a minute; a lock older than this belongs to a process that died.
const STALE_LOCK_MS = 10 * 60_000;
// Entries of other states of the sources are removed once this old.
const KEEP_MS = 24 * 60 * 60_000;

export interface MainSpec {
  /** The workspace, as createWorkspace takes it. */
  workspace: WorkspaceOptions;
  /** IMAGE_REPOSITORY of the build (and of every test that reads main's tags). */
  repository: string;
  /**
   * What to do before main is built: seed the registry (an outside base),
   * write and commit files that depend on it. `key` names what it does, for
   * the cache key: change it when the function changes.
   */
  prepare?: { key: string; run(ws: Workspace, registry: StartedRegistry): Promise<void> };
}

export interface BuiltMain {
  ws: Workspace;
  /** A registry of this caller's own, holding what main's build pushed. */
  registry: StartedRegistry;
  /** The commit main was built from. */
  c0: string;
  /** What main's build printed and wrote to its step summary. */
  first: SimulatedRun;
  /** `host:port` of the registry main was built against: the one main's labels name. */
  builtOn: string;
  /** Stops the registry and removes this caller's copies. */
  cleanup(): Promise<void>;
}

interface Cached {
  c0: string;
  first: SimulatedRun;
  builtOn: string;
}

/** This repository's two images (the stand-ins of images/), in this repository's convention. */
export const TWO_IMAGES: MainSpec = { workspace: {}, repository: 'fornax/images' };
/** The real tree's shape and convention (test/fixtures/tree): twelve images in five levels. */
export const FORNAX_TREE_MAIN: MainSpec = { workspace: { tree: 'tree', pluginOptions: REAL_CONVENTION }, repository: 'fornax/tree' };

/** A copy of the workspace of `spec` with main built, and a registry of its own holding main's images. */
export async function fromBuiltMain(spec: MainSpec): Promise<BuiltMain> {
  const entry = await builtOnce(spec);
  const cached = JSON.parse(readFileSync(join(entry, 'main.json'), 'utf8')) as Cached;
  const dir = mkdtempSync(join(tmpdir(), 'fornax-ws-'));
  cpSync(join(entry, 'workspace'), dir, { recursive: true });
  const plugin = spec.workspace.plugin ?? 'compiled';
  await linkNodeModules(dir, plugin);
  const storage = mkdtempSync(join(tmpdir(), 'fornax-registry-storage-'));
  cpSync(join(entry, 'storage'), storage, { recursive: true });
  // Started on the copy, the registry removes it when it stops.
  const registry = await startRegistry({ storage });
  const ws = openWorkspace(dir, plugin);
  return {
    ws,
    registry,
    ...cached,
    async cleanup() {
      await registry.stop();
      ws.cleanup();
    },
  };
}

/** Runs ci:images in the copy on one simulated GitHub event, with IMAGE_REPOSITORY set to the spec's. */
export type RunEvent = (spec: EventSpec, env?: Record<string, string>, args?: string[]) => Promise<SimulatedRun>;

/** A built main with the two things a CI test does with it: run ci:images on an event, read an image back. */
export interface MainRepository extends BuiltMain {
  /** The spec's repository, where main's images are. */
  repo: string;
  run: RunEvent;
  image(name: string, tag: string): Promise<ImageInRegistry | undefined>;
}

export async function mainRepository(spec: MainSpec): Promise<MainRepository> {
  return asRepository(await fromBuiltMain(spec), spec);
}

/** A copy of `spec`'s built main with a MainRepository's run and image. */
export function asRepository(main: BuiltMain, spec: MainSpec): MainRepository {
  return {
    ...main,
    repo: spec.repository,
    run: (event, env = {}, args = []) => runCiImages(main.ws, event, main.registry.host, { IMAGE_REPOSITORY: spec.repository, ...env }, args),
    image: (name, tag) => readImage(main.registry.url, `${spec.repository}/${name}`, tag),
  };
}

const building = new Map<string, Promise<string>>();

/** The cache entry of `spec`, built when there is none; one build per key in this process. */
async function builtOnce(spec: MainSpec): Promise<string> {
  const key = await cacheKey(spec);
  let pending = building.get(key);
  if (!pending) {
    pending = buildLocked(key, spec);
    building.set(key, pending);
  }
  return pending;
}

async function buildLocked(key: string, spec: MainSpec): Promise<string> {
  const entry = join(cacheRoot, key);
  await mkdir(cacheRoot, { recursive: true });
  return makeOnce({
    lock: `${entry}.lock`,
    staleMs: STALE_LOCK_MS,
    made: () => (existsSync(join(entry, 'main.json')) ? entry : undefined),
    async make() {
      pruneOthers(key);
      await build(spec, entry);
      return entry;
    },
  });
}

/**
 * main built here, in a workspace and a registry of the caller's own, not
 * cached: for a test that needs the registry's own address in what main's
 * labels record (an outside base's reference), which a copy on another port
 * would not have.
 */
export async function freshMain(spec: MainSpec): Promise<MainRepository> {
  const registry = await startRegistry();
  const ws = await createWorkspace(spec.workspace);
  try {
    const { c0, first } = await buildMain(spec, ws, registry);
    return {
      ws,
      registry,
      c0,
      first,
      builtOn: registry.host,
      repo: spec.repository,
      run: (event, env = {}, args = []) => runCiImages(ws, event, registry.host, { IMAGE_REPOSITORY: spec.repository, ...env }, args),
      image: (name, tag) => readImage(registry.url, `${spec.repository}/${name}`, tag),
      async cleanup() {
        await registry.stop();
        ws.cleanup();
      },
    };
  } catch (error) {
    await registry.stop();
    ws.cleanup();
    throw error;
  }
}

/** The spec's preparation, then main pushed as a test would push it (`npm run ci:images`). */
async function buildMain(spec: MainSpec, ws: Workspace, registry: StartedRegistry): Promise<{ c0: string; first: SimulatedRun }> {
  await spec.prepare?.run(ws, registry);
  const c0 = await ws.git('rev-parse', 'HEAD');
  // A workspace whose branch is not main is a repository whose default branch it is.
  const branch = spec.workspace.branch ?? 'main';
  const first = await runCiImages(ws, { name: 'push', branch, sha: c0, ...(branch === 'main' ? {} : { defaultBranch: branch }) }, registry.host, { IMAGE_REPOSITORY: spec.repository });
  if (first.exitCode !== 0) throw new Error(`building main of ${JSON.stringify(spec)} failed:\n${first.all}`);
  return { c0, first };
}

/** Builds main (buildMain) and keeps the workspace and the registry's storage. */
async function build(spec: MainSpec, entry: string): Promise<void> {
  const partial = `${entry}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const registry = await startRegistry();
  const ws = await createWorkspace(spec.workspace);
  try {
    const { c0, first } = await buildMain(spec, ws, registry);
    await registry.stop({ keepStorage: true });
    cpSync(ws.dir, join(partial, 'workspace'), {
      recursive: true,
      filter: (source) => !['node_modules', '.nx', 'dist'].includes(relative(ws.dir, source).split('/')[0] ?? ''),
    });
    cpSync(registry.storage, join(partial, 'storage'), { recursive: true });
    const cached: Cached = { c0, first, builtOn: registry.host };
    writeFileSync(join(partial, 'main.json'), JSON.stringify(cached));
    await rename(partial, entry);
  } finally {
    // Stopped again without keepStorage: its storage goes too (the entry has its copy).
    await registry.stop();
    ws.cleanup();
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * sha256 over what the plugin does (pluginBehaviourKey), the spec, the
 * workspace's root files and every file of the fixture tree: contents only,
 * never where the clone is, so every clone of one commit shares the entries.
 */
async function cacheKey(spec: MainSpec): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${CACHE_VERSION}\0${spec.workspace.plugin ?? 'compiled'}\0${await pluginBehaviourKey()}\0${JSON.stringify(spec)}\0${spec.prepare?.key ?? ''}\0`);
  const fixtures = resolve(__dirname, '..', 'fixtures', spec.workspace.tree ?? 'images');
  const files = [
    ...['nx.json', 'package.json', 'tsconfig.base.json'].map((file) => join(repoRoot, file)),
    ...filesUnder(fixtures),
    // The stand-ins of this repository's images are chosen by images/'s folders.
    ...(spec.workspace.tree ? [] : readdirSync(join(repoRoot, 'images')).map((name) => join(repoRoot, 'images', name))),
  ];
  for (const file of files) {
    hash.update(`${relative(repoRoot, file)}\0`);
    if (statSync(file).isFile()) hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Removes the entries of other keys not touched for a day, so /tmp does not fill with old states of the sources. */
function pruneOthers(key: string): void {
  for (const name of readdirSync(cacheRoot)) {
    if (name.startsWith(key)) continue;
    const path = join(cacheRoot, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process removed it.
    }
  }
}

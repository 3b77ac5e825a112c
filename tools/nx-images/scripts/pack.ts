/**
 * `npm run plugin:pack`: the plugin as an installable package.
 *
 * 1. `nx run nx-images:build` (@nx/js:tsc) compiles src/ (tests left out)
 *    into dist/tools/nx-images with executors.json, generators.json, every
 *    schema.json, the generators' files/, the README and docs/*.md (which
 *    the README links to).
 * 2. Writes the package's package.json there: the source one with its paths
 *    pointing at compiled JavaScript, `private` dropped, and as
 *    `dependencies` exactly the packages the compiled code requires, at the
 *    versions of the root package.json (a required package it does not list
 *    fails the pack).
 * 3. Checks that every executor and generator path resolves to a compiled
 *    file, then `npm pack`s the folder into dist/.
 *
 * The .tgz's absolute path is the last line printed.
 */
import { builtinModules } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { CommandError, run } from '../src/lib/io/exec';
import { nxCommand } from '../src/lib/io/nx-cli';

const repoRoot = resolve(__dirname, '../../..');
const pluginRoot = resolve(__dirname, '..');
const outputDir = join(repoRoot, 'dist', 'tools', 'nx-images');
const packDestination = join(repoRoot, 'dist');
const BUILD_TARGET = 'nx-images:build';

type Json = Record<string, unknown>;

async function main(): Promise<void> {
  try {
    await run(nxCommand(['run', BUILD_TARGET, '--outputStyle=stream'], repoRoot), { stream: true });
  } catch (error) {
    if (error instanceof CommandError) throw new UserError({ subject: 'plugin:pack', problem: `nx run ${BUILD_TARGET} failed (exit ${error.exitCode ?? 'none'})`, fix: 'fix the errors it printed above, then run npm run plugin:pack again' });
    throw error;
  }
  const source = await readJson(join(pluginRoot, 'package.json'));
  const root = await readJson(join(repoRoot, 'package.json'));
  const files = await compiledFiles(outputDir);
  const required = await requiredPackages(files);
  const manifest = packedManifest(source, root, required);
  await writeFile(join(outputDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await assertEntriesResolve(manifest);
  const tgz = await npmPack(`${String(manifest.name)}@${String(manifest.version)}`);
  console.log(`plugin:pack: ${String(manifest.name)}@${String(manifest.version)}, dependencies ${Object.keys(manifest.dependencies as Json).join(', ') || '(none)'}`);
  console.log(tgz);
}

/** The package.json that ships: the source one, compiled paths, no `private`, dependencies read from what the code requires. */
export function packedManifest(source: Json, root: Json, required: Map<string, string>): Json {
  const peers = (source.peerDependencies ?? {}) as Record<string, string>;
  const rootDependencies = (root.dependencies ?? {}) as Record<string, string>;
  const dependencies: Record<string, string> = {};
  for (const [name, where] of [...required].sort(([a], [b]) => a.localeCompare(b))) {
    if (Object.hasOwn(peers, name)) continue;
    const version = rootDependencies[name];
    if (version === undefined) {
      throw new UserError({ subject: 'plugin:pack', problem: `${where} requires ${name}, which the root package.json does not list under dependencies`, fix: `npm install ${name} (not --save-dev), or stop importing it` });
    }
    dependencies[name] = version;
  }
  const bin = Object.fromEntries(Object.entries((source.bin ?? {}) as Record<string, string>).map(([name, path]) => [name, toJs(path)]));
  const { private: _private, main, ...rest } = source;
  return {
    ...rest,
    main: toJs(String(main)),
    types: String(main).replace(/\.ts$/, '.d.ts'),
    bin,
    dependencies,
  };
}

function toJs(path: string): string {
  return path.replace(/\.ts$/, '.js');
}

async function compiledFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) throw new UserError({ subject: 'plugin:pack', problem: `${relative(repoRoot, dir)} is missing after the build`, fix: `check the outputPath of ${BUILD_TARGET} in tools/nx-images/project.json` });
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.js')).map((entry) => join(entry.parentPath, entry.name));
}

const BUILTINS = new Set(builtinModules);
// require("x") and import("x") as tsc writes them in CommonJS output, and a require('x') written by hand (a module loaded lazily).
const SPECIFIER = /\b(?:require|import)\((?:"([^"]+)"|'([^']+)')\)/g;

/** Every package the compiled files require (peers included), with the first file that does. */
async function requiredPackages(files: string[]): Promise<Map<string, string>> {
  const required = new Map<string, string>();
  for (const file of files.sort()) {
    for (const match of (await readFile(file, 'utf8')).matchAll(SPECIFIER)) {
      const name = packageName(match[1] ?? match[2] ?? '');
      if (name && !required.has(name)) required.set(name, relative(outputDir, file));
    }
  }
  return required;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`); undefined for relative paths and Node's built-ins. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  return BUILTINS.has(name) ? undefined : name;
}

/** Every executor, batch implementation and generator path of the packed JSON files resolves to a compiled file. */
async function assertEntriesResolve(manifest: Json): Promise<void> {
  const checks: string[] = [toJs(String(manifest.main)), ...Object.values(manifest.bin as Record<string, string>)];
  for (const [file, key, fields] of [
    [String(manifest.executors), 'executors', ['implementation', 'batchImplementation', 'schema']],
    [String(manifest.generators), 'generators', ['factory', 'schema']],
  ] as const) {
    const entries = ((await readJson(join(outputDir, file)))[key] ?? {}) as Record<string, Record<string, string | undefined>>;
    for (const entry of Object.values(entries)) {
      for (const field of fields) {
        const path = entry[field]?.split('#')[0];
        if (path) checks.push(path);
      }
    }
  }
  for (const path of checks) {
    try {
      require.resolve(join(outputDir, path));
    } catch {
      throw new UserError({ subject: 'plugin:pack', problem: `${path} (from the packed package.json, executors.json or generators.json) resolves to no file in ${relative(repoRoot, outputDir)}`, fix: 'check the build\'s assets and tsconfig.lib.json' });
    }
  }
}

async function npmPack(what: string): Promise<string> {
  // npm names the file <scope>-<name>-<version>.tgz; an older version's file must not be mistaken for this one.
  const prefix = `${what.slice(0, what.lastIndexOf('@')).replace(/^@/, '').replace('/', '-')}-`;
  const previous = (await readdir(packDestination)).filter((name) => name.startsWith(prefix) && name.endsWith('.tgz'));
  for (const name of previous) await rm(join(packDestination, name), { force: true });
  let stdout: string;
  try {
    ({ stdout } = await run({ command: 'npm', args: ['pack', '--json', `--pack-destination=${packDestination}`], cwd: outputDir }));
  } catch (error) {
    if (error instanceof CommandError) throw new UserError({ subject: 'plugin:pack', problem: `npm pack of ${what} failed (${error.stderr.trim().split('\n').at(-1) ?? `exit ${error.exitCode}`})`, fix: `run npm pack in ${relative(repoRoot, outputDir)} to see why` });
    throw error;
  }
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new UserError({ subject: 'plugin:pack', problem: `npm pack printed no file name for ${what}`, fix: `run npm pack in ${relative(repoRoot, outputDir)} to see why` });
  return join(packDestination, packed.filename);
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await readFile(path, 'utf8')) as Json;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof UserError ? errorMessage(error) : `plugin:pack: ${errorMessage(error)}`);
    process.exitCode = 1;
  });
}

import { copyFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, type InstalledPlugin } from './harness/packed-plugin';
import { readImage, readImageFile } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { repoRoot, type RunOutput } from './harness/workspace';

// The package that ships is the package that is tested: the packed .tgz and
// Nx, alone in a scratch git repository of two busybox images (tractor FROM
// base_image, our arg convention), with nx.json written by hand.
const REPO = 'fornax/packed';
const FIXTURES = resolve(__dirname, 'fixtures/images');
const PLUGIN_OPTIONS = {
  dockerfiles: 'images/*/Dockerfile',
  buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: 'IMAGE_TAG', baseTag: 'BASE_IMAGE_TAG' },
};

let registry: Registry;
let dir: string;
let installed: InstalledPlugin;
let head: string;
let packed: { files: string[]; manifest: Record<string, unknown> };

async function git(...args: string[]): Promise<string> {
  const result = await execa('git', args, { cwd: dir, env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  return result.stdout.trim();
}

function ok(result: RunOutput): RunOutput {
  expect(result.exitCode, result.all.slice(-3000)).toBe(0);
  return result;
}

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'fornax-packed-'));
  for (const image of ['base_image', 'tractor']) cpSync(join(FIXTURES, image), join(dir, 'images', image), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'images', 'base_image', 'busybox'));
  writeFileSync(join(dir, 'nx.json'), `${JSON.stringify({ plugins: [{ plugin: '@fornax/nx-images', options: PLUGIN_OPTIONS }] }, null, 2)}\n`);
  writeFileSync(join(dir, '.gitignore'), '.nx\ndist\n');
  installed = await installPacked(dir);
  console.log(`packed-plugin: npm install of the .tgz, nx and @nx/devkit took ${(installed.installMs / 1000).toFixed(1)} s`);
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('-c', 'user.email=test@example.invalid', '-c', 'user.name=Fornax Test', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'two images');
  head = await git('rev-parse', 'HEAD');
  const listing = await execa('tar', ['-tzf', installed.tgz]);
  packed = {
    files: listing.stdout.split('\n').map((line) => line.replace(/^package\//, '')),
    manifest: JSON.parse(readFileSync(join(dir, 'node_modules', '@fornax', 'nx-images', 'package.json'), 'utf8')) as Record<string, unknown>,
  };
}, 240_000);

afterAll(async () => {
  await registry?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed plugin', () => {
  it('ships compiled JavaScript with declarations, its JSON and files, and no tests, test harness or scripts', () => {
    // Every schema and generator file of the sources, whatever the generators hold today.
    const assets = readdirSync(join(repoRoot, 'tools/nx-images/src'), { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.endsWith('.ts') && statSync(join(repoRoot, 'tools/nx-images/src', path)).isFile())
      .map((path) => `src/${path.split(sep).join('/')}`);
    expect(assets.length).toBeGreaterThan(7);
    // The README links to docs/, so the docs ship beside it.
    const docs = readdirSync(join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
    expect(docs.length).toBeGreaterThan(7);
    for (const file of ['package.json', 'executors.json', 'generators.json', 'README.md', ...docs, 'src/index.js', 'src/index.d.ts', 'src/bin/nx-images.js', 'src/executors/docker-build/executor.js', ...assets]) {
      expect(packed.files, file).toContain(file);
    }
    expect(packed.files.filter((file) => /\.test\.|^test\/|^scripts\/|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('has a package.json for users: a version, no private, compiled entry points, the bin, Nx as a peer and its runtime dependencies its own', () => {
    const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const { manifest } = packed;
    expect(manifest).toMatchObject({ name: '@fornax/nx-images', version: '0.1.0', main: 'src/index.js', types: 'src/index.d.ts', bin: { 'nx-images': 'src/bin/nx-images.js' } });
    expect(manifest).not.toHaveProperty('private');
    expect(manifest.peerDependencies).toEqual({ nx: '>=23.3.1 <24', '@nx/devkit': '>=23.3.1 <24' });
    const dependencies = manifest.dependencies as Record<string, string>;
    for (const name of ['execa', 'dockerfile-ast', 'minimatch', 'semver']) expect(dependencies[name], name).toBe(root.dependencies[name]);
    for (const [name, version] of Object.entries(dependencies)) expect(root.dependencies[name], `${name} is a root dependency at the same version`).toBe(version);
  });

  it('loads with plain require, no TypeScript loader: the plugin, every executor and every generator', async () => {
    const probe = [
      "const { join, dirname } = require('node:path');",
      "const root = dirname(require.resolve('@fornax/nx-images/package.json'));",
      "const kinds = [['executors.json', 'executors', 'implementation'], ['generators.json', 'generators', 'factory']];",
      "const loaded = [`createNodes:${typeof require('@fornax/nx-images').createNodes?.[1]}`];",
      'for (const [file, key, field] of kinds) for (const [name, entry] of Object.entries(require(join(root, file))[key])) {',
      "  const [path, member] = entry[field].split('#');",
      '  const mod = require(join(root, path));',
      "  loaded.push(`${name}:${typeof (member ? mod[member] : mod.default)}`);",
      "  if (entry.batchImplementation) { const [batch, fn] = entry.batchImplementation.split('#'); loaded.push(`${name}#${fn}:${typeof require(join(root, batch))[fn]}`); }",
      '}',
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const result = ok(await installed.exec(process.execPath, ['-e', probe]));
    const loaded = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(loaded[0]).toBe('createNodes:function');
    const executors = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'tools/nx-images/executors.json'), 'utf8')) as { executors: object }).executors);
    for (const name of [...executors, 'image']) expect(loaded, name).toContain(`${name}:function`);
    expect(loaded.filter((entry) => !entry.endsWith(':function'))).toEqual([]);
  });

  it.each([['in-process plugins (as the harness runs Nx)', 'false'], ['isolated plugins (Nx\'s default)', 'true']])('infers both images and their order with %s', async (_case, isolate) => {
    const file = join(dir, 'dist', `graph-${isolate}.json`);
    ok(await installed.nx(['graph', `--file=${file}`], { NX_ISOLATE_PLUGINS: isolate }));
    type Target = { executor?: string; dependsOn?: { projects?: string[] }[] };
    const { graph } = JSON.parse(readFileSync(file, 'utf8')) as { graph: { nodes: Record<string, { data: { targets: Record<string, Target> } }> } };
    expect(Object.keys(graph.nodes).sort()).toEqual(['base_image', 'tractor']);
    const build = graph.nodes.tractor?.data.targets['docker-build'];
    expect(build?.executor).toBe('@fornax/nx-images:docker-build');
    expect(build?.dependsOn?.[0]?.projects).toEqual(['base_image']);
  });

  it('dry-runs a docker-build: prints the plan and pushes nothing', async () => {
    const flags = [`--registry=${registry.host}`, `--repository=${REPO}`, '--exclude-task-dependencies', '--dry-run', '--outputStyle=stream'];
    const result = ok(await installed.nx(['run', 'tractor:docker-build', ...flags]));
    expect(result.all).toContain('tractor: dry run, nothing is run');
    expect(result.all).toContain(`--tag=${registry.host}/${REPO}/tractor:main`);
    expect(await readImage(registry.url, `${REPO}/tractor`, 'main')).toBeUndefined();
  });

  it('runs the nx-images bin: images --plan lists the levels; an unknown subcommand is one line and exit 2', async () => {
    const plan = ok(await installed.bin(['images', '--plan', `--registry=${registry.host}`, `--repository=${REPO}`]));
    expect(plan.stdout).toContain('ci:images: level 1: base_image');
    expect(plan.stdout).toContain('ci:images: level 2: tractor (after base_image)');
    const unknown = await installed.bin(['build']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe('nx-images: unknown subcommand "build": use one of images, release, free-disk (e.g. nx-images images --plan).');
  });

  it('builds and pushes tractor on base_image, in order, from the package: read back from the registry', async () => {
    ok(await installed.nx(['run', 'tractor:docker-build', `--registry=${registry.host}`, `--repository=${REPO}`, '--push', '--outputStyle=stream']));
    const base = await readImage(registry.url, `${REPO}/base_image`, 'main');
    const tractor = await readImage(registry.url, `${REPO}/tractor`, 'main');
    expect(base?.digest).toMatch(/^sha256:/);
    expect(tractor?.labels['org.opencontainers.image.revision']).toBe(head);
    expect(tractor?.labels['org.opencontainers.image.base.name']).toBe(`${registry.host}/${REPO}/base_image:main`);
    expect(tractor?.layers.slice(0, base?.layers.length)).toEqual(base?.layers);
    expect(await readImageFile(registry.url, `${REPO}/tractor`, 'main', '/etc/fornax-stack')).toBe('fornax base fixture\nfornax tractor fixture\n');
  });

  it('runs the image generator from the package', async () => {
    const generated = ok(await installed.nx(['g', '@fornax/nx-images:image', 'newimg', '--from=tractor', '--no-interactive', '--dry-run']));
    expect(generated.all).toContain('CREATE images/newimg/Dockerfile');
    expect(generated.all).toContain('CREATE images/newimg/tests/test_newimg.py');
  });
});

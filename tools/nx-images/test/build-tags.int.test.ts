import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTags, readImage, readImageFile } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { runDockerBuildExecutor } from './harness/run-docker-build';
import { runReleaseExecutor } from './harness/run-release';
import { createWorkspace, type Workspace } from './harness/workspace';

// Per-build tags and build-arg templates, as nasa-fornax/fornax-images uses
// them, against the real engine and registry; every result is read back.
const REPO = 'fornax/tags';
const TIME = '2026-06-30T12:00:00Z';
const TIME_TAG = '20260630_1200';
const FORNAX_OPTIONS = {
  dockerfiles: 'images/*/Dockerfile',
  buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: 'IMAGE_TAG', baseTag: 'BASE_IMAGE_TAG' },
  tagTemplates: ['{branch}', 'sha-{sha:12}', '{time:%Y%m%d_%H%M}'],
  buildArgTemplates: { BUILD_VERSION: '{image}:{time:%Y%m%d_%H%M}' },
};
// The Fornax Dockerfile writes the build arg into the image.
const BASE_DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
  'ARG BUILD_VERSION',
  'RUN echo "$BUILD_VERSION" > /build-version',
  'COPY base.txt /etc/fornax-base',
  '',
].join('\n');

let registry: Registry;
let ws: Workspace;
let c1: string;
let first: { base: string; tractor: string };

/** Through nx, so the tags and build-arg templates come from nx.json's plugin options. */
function build(project: string) {
  return ws.nx(['run', `${project}:docker-build`, `--registry=${registry.host}`, `--repository=${REPO}`, '--exclude-task-dependencies', '--push', `--buildTime=${TIME}`]);
}

/** In-process (faster), with the same templates given as executor options. */
function buildInProcess(project: string) {
  const { tagTemplates, buildArgTemplates } = FORNAX_OPTIONS;
  return runDockerBuildExecutor(ws.dir, project, { registry: registry.host, repository: REPO, push: true, buildTime: TIME, tagTemplates, buildArgTemplates });
}

async function digest(image: string, tag: string): Promise<string | undefined> {
  return (await readImage(registry.url, `${REPO}/${image}`, tag))?.digest;
}

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace({ branch: 'main', origin: 'https://github.com/nasa-fornax/fornax-images.git', pluginOptions: FORNAX_OPTIONS });
  c1 = await ws.commit('write the build version', { 'images/base_image/Dockerfile': BASE_DOCKERFILE });
  // Both images of the first build, one build time: the run's time tag names them together.
  const base = await build('base_image');
  expect(base.exitCode, base.all).toBe(0);
  const tractor = await buildInProcess('tractor');
  expect(tractor.success, tractor.output).toBe(true);
  first = { base: (await digest('base_image', 'main')) ?? '', tractor: (await digest('tractor', 'main')) ?? '' };
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  await ws?.remove();
});

describe('per-build tags', () => {
  it('tags a push with the branch, the commit and the time, all one digest, and writes the templated build arg into the image', async () => {
    const sha12 = c1.slice(0, 12);
    for (const [image, pushed] of [['base_image', first.base], ['tractor', first.tractor]] as const) {
      expect(pushed).toMatch(/^sha256:/);
      for (const tag of ['main', `sha-${sha12}`, TIME_TAG]) expect(await digest(image, tag), `${image}:${tag}`).toBe(pushed);
    }
    expect((await listTags(registry.url, `${REPO}/base_image`)).sort()).toEqual(['20260630_1200', 'main', `sha-${sha12}`]);
    expect(await readImageFile(registry.url, `${REPO}/base_image`, TIME_TAG, '/build-version')).toBe(`base_image:${TIME_TAG}\n`);
    const record = JSON.parse(readFileSync(join(ws.dir, 'dist/docker-build/base_image.json'), 'utf8')) as Record<string, unknown>;
    expect(record.buildTags).toEqual([
      { tag: `sha-${sha12}`, digest: first.base, written: true },
      { tag: TIME_TAG, digest: first.base, written: true },
    ]);
  });

  it('a second build in the same minute moves the branch tag but not the first build\'s time tag', async () => {
    const c2 = await ws.commit('base_image: new content', { 'images/base_image/base.txt': 'second build\n' });
    const result = await buildInProcess('base_image');
    expect(result.success, result.output).toBe(true);
    const second = await digest('base_image', 'main');
    expect(second).toBeDefined();
    expect(second).not.toBe(first.base);
    expect(await digest('base_image', `sha-${c2.slice(0, 12)}`)).toBe(second);
    expect(await digest('base_image', TIME_TAG)).toBe(first.base);
    expect(await readImageFile(registry.url, `${REPO}/base_image`, TIME_TAG, '/etc/fornax-base')).not.toBe('second build\n');
    expect(result.output).toContain(`${registry.host}/${REPO}/base_image:${TIME_TAG} already exists (${first.base}, another build); left alone: a per-build tag is never moved`);
    const record = JSON.parse(readFileSync(join(ws.dir, 'dist/docker-build/base_image.json'), 'utf8')) as { buildTags?: unknown };
    expect(record.buildTags).toEqual([
      { tag: `sha-${c2.slice(0, 12)}`, digest: second, written: true },
      { tag: TIME_TAG, digest: first.base, written: false },
    ]);
  });

  it('a release from the time tag rolls stable back to the first build', async () => {
    // stable first goes to the second build, as a release of main would.
    for (const image of ['base_image', 'tractor']) {
      const released = await runReleaseExecutor('release', ws.dir, image, { registry: registry.host, repository: REPO, tags: ['v0.2.0', 'stable'] });
      expect(released.success, released.output).toBe(true);
    }
    expect(await digest('base_image', 'stable')).not.toBe(first.base);
    const release = await ws.nx([
      'run-many', '-t', 'release', `--registry=${registry.host}`, `--repository=${REPO}`,
      `--sourceTag=${TIME_TAG}`, '--tags=v0.2.1,stable', `--commit=${c1}`, '--outputStyle=static',
    ]);
    expect(release.exitCode, release.all).toBe(0);
    expect(await digest('base_image', 'stable')).toBe(first.base);
    expect(await digest('tractor', 'stable')).toBe(first.tractor);
    expect(await digest('base_image', 'v0.2.1')).toBe(first.base);
    expect(await digest('base_image', 'main')).not.toBe(first.base);
  });

  it('a dry run prints the rendered per-build tags and build args, and pushes nothing', async () => {
    const run = await runDockerBuildExecutor(ws.dir, 'base_image', {
      registry: registry.host,
      repository: 'fornax/dry',
      push: true,
      dryRun: true,
      buildTime: '2026-07-01T08:09:00Z',
      tagTemplates: FORNAX_OPTIONS.tagTemplates,
      buildArgTemplates: FORNAX_OPTIONS.buildArgTemplates,
    });
    expect(run.success, run.output).toBe(true);
    const head = await ws.git('rev-parse', 'HEAD');
    expect(run.output).toContain(`per-build  ${registry.host}/fornax/dry/base_image:sha-${head.slice(0, 12)}  (written once after the push, never moved)`);
    expect(run.output).toContain(`per-build  ${registry.host}/fornax/dry/base_image:20260701_0809`);
    expect(run.output).toContain('build arg  BUILD_VERSION=base_image:20260701_0809  (from a template)');
    expect(await listTags(registry.url, 'fornax/dry/base_image')).toEqual([]);
  });

  it('a template that renders an invalid tag stops the build before it starts', async () => {
    const run = await runDockerBuildExecutor(ws.dir, 'base_image', { registry: registry.host, repository: 'fornax/bad', push: true, tagTemplates: ['{branch}', '{time:%H:%M}'] });
    expect(run.success).toBe(false);
    expect(run.output).toMatch(/base_image: tag template "\{time:%H:%M\}": renders "\d\d:\d\d", which is not a valid Docker tag/);
    expect(await listTags(registry.url, 'fornax/bad/base_image')).toEqual([]);
  });
});

// Tags read from the image's inventory: the lock command (a busybox script in the image) writes a conda explicit list and a pip freeze list.
describe('per-build tags from the inventory', () => {
  const INV = 'fornax/inventory';
  const LOCKS = [
    'sh', '-c',
    [
      'printf "@EXPLICIT\\nhttps://conda.anaconda.org/conda-forge/linux-64/python-3.12.7-hc5c86c4_0_cpython.conda\\n" > "$LOCKS_DIR/conda-base.txt"',
      'printf "NumPy==2.1.0+cpu\\nastropy==6.1.4\\n" > "$LOCKS_DIR/pip-base.txt"',
    ].join('; '),
  ];
  const build = (repository: string, tagTemplates: string[]) =>
    runDockerBuildExecutor(ws.dir, 'base_image', { registry: registry.host, repository, push: true, buildTime: TIME, lockCommand: LOCKS, tagTemplates });

  it('writes py-{version:python} and np-{version:numpy} with the other per-build tags, read back as the pushed digest', async () => {
    const run = await build(INV, ['{branch}', 'py-{version:python}', 'np-{version:numpy}-{sha:7}', '{time:%Y%m%d_%H%M}']);
    expect(run.success, run.output).toBe(true);
    const head = await ws.git('rev-parse', 'HEAD');
    const pushed = (await readImage(registry.url, `${INV}/base_image`, 'main'))?.digest;
    expect(pushed).toMatch(/^sha256:/);
    expect((await listTags(registry.url, `${INV}/base_image`)).sort()).toEqual([TIME_TAG, 'main', `np-2.1.0-cpu-${head.slice(0, 7)}`, 'py-3.12.7'].sort());
    for (const tag of ['py-3.12.7', `np-2.1.0-cpu-${head.slice(0, 7)}`, TIME_TAG]) {
      expect((await readImage(registry.url, `${INV}/base_image`, tag))?.digest, tag).toBe(pushed);
    }
    const record = JSON.parse(readFileSync(join(ws.dir, 'dist/docker-build/base_image.json'), 'utf8')) as { buildTags?: { tag: string }[] };
    expect(record.buildTags?.map((entry) => entry.tag)).toEqual([TIME_TAG, 'py-3.12.7', `np-2.1.0-cpu-${head.slice(0, 7)}`]);
  });

  it('a package the inventory does not hold fails the task in one line naming it and the image; the push stays, no per-build tag is written', async () => {
    const repository = 'fornax/inventory-missing';
    const run = await build(repository, ['{branch}', 'sha-{sha:12}', 'scipy-{version:scipy}']);
    expect(run.success).toBe(false);
    const pushed = (await readImage(registry.url, `${repository}/base_image`, 'main'))?.digest;
    expect(pushed).toMatch(/^sha256:/);
    const line = run.output.split('\n').find((entry) => entry.includes('holds no package'));
    expect(line, run.output).toContain('base_image: tags template "scipy-{version:scipy}": the inventory of base_image holds no package "scipy" (environments: base)');
    expect(line).toContain(`(${registry.host}/${repository}/base_image@${pushed} was pushed and stays; no per-build tag was written)`);
    expect(await listTags(registry.url, `${repository}/base_image`)).toEqual(['main']);
  });

  it('a dry run shows a tag from the inventory without its value, and pushes nothing', async () => {
    const run = await runDockerBuildExecutor(ws.dir, 'base_image', {
      registry: registry.host, repository: 'fornax/inventory-dry', push: true, dryRun: true, buildTime: TIME, tagTemplates: ['{branch}', 'py-{version:python}'],
    });
    expect(run.success, run.output).toBe(true);
    expect(run.output).toContain(`per-build  ${registry.host}/fornax/inventory-dry/base_image:py-<python from the inventory>  (read from the image's inventory, written once after the push, never moved)`);
    expect(await listTags(registry.url, 'fornax/inventory-dry/base_image')).toEqual([]);
  });

  it('a build arg template may not read the inventory, which is made after the build', async () => {
    const run = await runDockerBuildExecutor(ws.dir, 'base_image', { registry: registry.host, repository: 'fornax/inventory-arg', push: true, buildArgTemplates: { PY: '{version:python}' } });
    expect(run.success).toBe(false);
    expect(run.output).toMatch(/base_image: docker-build:? option buildArgTemplates\.PY "\{version:python\}": \{version:python\} reads the image's inventory, which is made only after the build: use it in per-build tag templates/);
    expect(await listTags(registry.url, 'fornax/inventory-arg/base_image')).toEqual([]);
  });
});

import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/lib/core/naming/conventions';
import { runCiImages, type EventSpec, type SimulatedRun } from './github-run';
import { installPacked, type InstalledPlugin } from './packed-plugin';
import { listTags, readImage, readImageFile } from './read-image';
import { startRegistry, type Registry } from './registry';
import type { RunOutput, Workspace } from './workspace';

// The adoption suite, one test file per shape (adopt-fornax, adopt-stacks), so the two run side by side.
// A repository with nothing but Dockerfiles adopts the packed plugin: `npm install <tgz> nx`, then
// `nx g @fornax/nx-images:init --no-interactive`, then pushes run as the workflows init wrote run them
// (`npm run ci:images`, the package's bin). Each image copies its stamp.txt to /stamps/<image> and carries
// its bases' stamps, so reading files back from the registry shows which build of each base an image was made from.
const fixtures = join(__dirname, '..', 'fixtures');

let registry: Registry;

/** A scratch git repository holding only a fixture tree's Dockerfiles and the files they copy, committed on main. */
interface Scratch {
  dir: string;
  installed: InstalledPlugin;
  git(...args: string[]): Promise<string>;
  /** Writes files, commits everything, returns the commit. */
  commit(message: string, files?: Record<string, string>): Promise<string>;
  branch(name: string, files: Record<string, string>): Promise<string>;
  init(args?: string[]): Promise<RunOutput>;
  push(spec: Omit<EventSpec, 'name'>): Promise<SimulatedRun>;
}

async function scratchRepository(tree: string, prefix: string, repository: string): Promise<Scratch> {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-adopt-'));
  const source = join(fixtures, tree);
  for (const image of readdirSync(source)) {
    const target = join(dir, prefix, image);
    cpSync(join(source, image), target, { recursive: true });
    if (readFileSync(join(target, 'Dockerfile'), 'utf8').includes('COPY busybox')) copyFileSync('/bin/busybox', join(target, 'busybox'));
  }
  writeFileSync(join(dir, '.gitignore'), 'node_modules\ndist\n.nx\n');
  const installed = await installPacked(dir);
  const git = async (...args: string[]) => {
    const result = await installed.exec('git', args);
    if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.all}`);
    return result.stdout.trim();
  };
  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'user.email', 'test@example.invalid');
  await git('config', 'user.name', 'Adopt Test');
  await git('config', 'commit.gpgsign', 'false');
  const commit = async (message: string, files: Record<string, string> = {}) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    await git('add', '--all');
    await git('commit', '--quiet', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  // The repository as it was before adoption: Dockerfiles and what they copy, plus npm's package.json of the install.
  await commit('images');
  const workspace = { dir, exec: installed.exec } as unknown as Workspace;
  return {
    dir,
    installed,
    git,
    commit,
    branch: async (name, files) => {
      await git('checkout', '--quiet', 'main');
      await git('checkout', '--quiet', '-b', name);
      return commit(`${name}: change`, files);
    },
    init: (args = []) => installed.nx(['g', '@fornax/nx-images:init', '--no-interactive', ...args]),
    push: (spec) => runCiImages(workspace, { name: 'push', ...spec }, registry.host, { IMAGE_REPOSITORY: repository }),
  };
}

function shapeReader(repository: string) {
  const read = (name: string, tag: string) => readImage(registry.url, `${repository}/${name}`, tag);
  return {
    read,
    stamp: (name: string, tag: string, of: string) => readImageFile(registry.url, `${repository}/${name}`, tag, `/stamps/${of}`),
    basesOf: async (name: string, tag: string) => JSON.parse((await read(name, tag))?.labels[LABEL.bases] ?? '[]') as { image: string; reference: string; digest?: string }[],
    tagged: async (names: readonly string[], tag: string) => {
      const found = [];
      for (const name of names) if ((await listTags(registry.url, `${repository}/${name}`)).includes(tag)) found.push(name);
      return found;
    },
  };
}

export interface Shape {
  shape: string;
  tree: string;
  /** Where the fixture's image folders go: the root, or images/. */
  prefix: string;
  repository: string;
  images: string[];
  options: Record<string, unknown>;
  lastLevel: string;
  change: Record<string, string>;
  changed: string[];
  /** The image whose bases are read back, and each base's expected tag on the branch. */
  top: string;
  topBases: [string, 'branch' | 'main'][];
}

export const SHAPES: Shape[] = [
  {
    shape: 'a repository like fornax-images (root folders, REPOSITORY with the registry, one BASE_TAG)',
    tree: 'shape-fornax',
    prefix: '',
    repository: 'nasa-fornax/fornax-images',
    images: ['env-core', 'fornax-base', 'fornax-main', 'jupyter-base'],
    options: { dockerfiles: '*/Dockerfile', buildArgs: { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' } },
    lastLevel: 'ci:images: level 4: fornax-main (after env-core, fornax-base)\n',
    change: { 'env-core/stamp.txt': 'env-core 2\n', 'fornax-main/stamp.txt': 'fornax-main 2\n' },
    changed: ['env-core', 'fornax-main'],
    top: 'fornax-main',
    topBases: [['env-core', 'branch'], ['fornax-base', 'main']],
  },
  {
    shape: 'a repository like docker-stacks (images/, FROM $BASE_IMAGE with no tag, a variant)',
    tree: 'shape-stacks',
    prefix: 'images',
    repository: 'jupyter',
    images: ['base-notebook', 'docker-stacks-foundation', 'pytorch-notebook', 'scipy-notebook'],
    options: { dockerfiles: 'images/*/Dockerfile', variants: 'images/*/*/Dockerfile', buildArgs: { registry: 'REGISTRY', repository: 'OWNER', imageTag: '', baseTag: '' } },
    lastLevel: 'ci:images: level 4: pytorch-notebook (after scipy-notebook), pytorch-notebook-cuda12 (after scipy-notebook)\n',
    change: { 'images/scipy-notebook/stamp.txt': 'scipy-notebook 2\n', 'images/pytorch-notebook/stamp.txt': 'pytorch-notebook 2\n' },
    changed: ['pytorch-notebook', 'scipy-notebook'],
    top: 'pytorch-notebook',
    topBases: [['scipy-notebook', 'branch']],
  },
];

/** The adoption of one shape: init, the first push, a branch push, init again; in a registry of the file's own. */
export function adoptionSuite(shape: Shape): void {
  beforeAll(async () => {
    registry = await startRegistry();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  describe(shape.shape, () => {
    const it$ = shapeReader(shape.repository);
    let repo: Scratch;
    let init: RunOutput;
    let adopted: string;
    let first: SimulatedRun;

    beforeAll(async () => {
      repo = await scratchRepository(shape.tree, shape.prefix, shape.repository);
      init = await repo.init();
      adopted = await repo.commit('adopt @fornax/nx-images');
      first = await repo.push({ branch: 'main', sha: adopted });
    }, 600_000);

    afterAll(() => {
      if (repo) rmSync(repo.dir, { recursive: true, force: true });
    });

    it('init --no-interactive writes nx.json, the scripts and the workflows from the Dockerfiles alone, and says what it found', () => {
      expect(init.exitCode, init.all).toBe(0);
      const nxJson = JSON.parse(readFileSync(join(repo.dir, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options: unknown }[]; defaultBase: string };
      expect(nxJson.plugins).toEqual([{ plugin: '@fornax/nx-images', options: shape.options }]);
      expect(nxJson.defaultBase).toBe('main');
      const pkg = JSON.parse(readFileSync(join(repo.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      expect(pkg.scripts).toEqual({ 'ci:images': 'nx-images images', 'ci:release': 'nx-images release', 'ci:free-disk': 'nx-images free-disk' });
      for (const name of ['image-build.yml', 'image-build-one.yml', 'release.yml']) expect(existsSync(join(repo.dir, '.github', 'workflows', name)), name).toBe(true);
      expect(init.all).toContain(`init: images go to ${shape.repository === 'jupyter' ? 'quay.io' : 'ghcr.io'}/${shape.repository}/<image>`);
      expect(init.all).toContain('init: left to do by hand:');
    });

    it('the first push to main builds every image in order, each on its bases of this same run', async () => {
      expect(first.exitCode, first.all).toBe(0);
      expect(first.all).toContain(shape.lastLevel);
      for (const name of shape.images) expect((await it$.read(name, 'main'))?.labels['org.opencontainers.image.revision'], name).toBe(adopted);
      const bases = await it$.basesOf(shape.top, 'main');
      expect(bases.map((base) => base.image).sort()).toEqual(shape.topBases.map(([image]) => image).sort());
      for (const base of bases) expect(base.digest, base.image).toBe((await it$.read(base.image, 'main'))?.digest);
    });

    it('a branch push builds exactly what changed, on the branch\'s base where it changed and main\'s elsewhere', async () => {
      const sha = await repo.branch('feature/x', shape.change);
      const result = await repo.push({ branch: 'feature/x', sha });
      expect(result.exitCode, result.all).toBe(0);
      expect(await it$.tagged(shape.images, 'feature-x')).toEqual(shape.changed);
      const bases = await it$.basesOf(shape.top, 'feature-x');
      const expected = [];
      for (const [image, from] of shape.topBases) {
        const tag = from === 'branch' ? 'feature-x' : 'main';
        expected.push({ image, reference: `${registry.host}/${shape.repository}/${image}:${tag}`, digest: (await it$.read(image, tag))?.digest });
      }
      expect(bases).toEqual(expected);
      const changedBase = shape.topBases[0]?.[0] ?? '';
      expect(await it$.stamp(shape.top, 'feature-x', changedBase)).toBe(`${changedBase} 2\n`);
    });

    it('init run again changes nothing', async () => {
      await repo.git('checkout', '--quiet', 'main');
      const again = await repo.init();
      expect(again.exitCode, again.all).toBe(0);
      expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
      expect(again.all).not.toMatch(/init: (wrote|updated|kept) /);
    });
  });
}

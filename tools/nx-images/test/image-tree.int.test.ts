import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORNAX_TREE } from './fixtures/fornax-tree';
import { FORNAX_TREE_MAIN } from './harness/built-main';
import { mainCopy } from './harness/main-copy';
import { runCiImages, type EventSpec, type SimulatedRun } from './harness/github-run';
import { listTags, readImage, readImageFile } from './harness/read-image';
import type { Registry } from './harness/registry';
import type { Workspace } from './harness/workspace';

// A tree shaped like the real Fornax repository, written in its convention (REPOSITORY carries the
// registry, one BASE_TAG): twelve images in five levels; fornax-hea takes from four images through
// named stages (RUN --mount and COPY --from); fornax-jupyter's project.json declares env-core, which
// its Dockerfile does not name. Each image copies its own stamp.txt to /stamps/<image> and carries its
// bases' stamps, so reading the files back shows which build of each base an image was made from.
// The tree is built once on main; each case then works on a branch of its own. A base changed alone
// and a failing mid-level image are image-tree-branches.int.test.ts's; the cycle and the local nx run
// are image-tree-local.int.test.ts's, each on a copy of their own.

/** image -> the images of the repository its Dockerfile reads. */
const READS = FORNAX_TREE;
const IMAGES = Object.keys(READS).sort();
const BASES_LABEL = 'dev.nx-images.bases';
const REPO = FORNAX_TREE_MAIN.repository;

const copy = mainCopy(FORNAX_TREE_MAIN);

let registry: Registry;
let ws: Workspace;
let c0: string;
let first: SimulatedRun;
/** The registry main was built against: the one main's labels name. */
let builtOn: string;

const push = (spec: Omit<EventSpec, 'name'>) => runCiImages(ws, { name: 'push', ...spec }, registry.host, { IMAGE_REPOSITORY: REPO });
const image = (name: string, tag: string) => readImage(registry.url, `${REPO}/${name}`, tag);
const file = (name: string, tag: string, path: string) => readImageFile(registry.url, `${REPO}/${name}`, tag, path);
const basesOf = async (name: string, tag: string) =>
  JSON.parse((await image(name, tag))?.labels[BASES_LABEL] ?? '[]') as { image: string; reference: string; digest?: string }[];

beforeAll(() => {
  ({ ws, registry, c0, first, builtOn } = copy);
});

describe('a tree of twelve images in the real tree\'s convention', () => {
  it('lists every image folder as a project, with or without a project.json, and no edge between images', async () => {
    const shown = await ws.nx(['show', 'projects', '--json']);
    expect(shown.exitCode, shown.all).toBe(0);
    expect((JSON.parse(shown.stdout) as string[]).filter((name) => name !== 'nx-images').sort()).toEqual(IMAGES);

    const graphFile = join(ws.dir, 'graph.json');
    const graph = await ws.nx(['graph', `--file=${graphFile}`]);
    expect(graph.exitCode, graph.all).toBe(0);
    const { dependencies } = (JSON.parse(readFileSync(graphFile, 'utf8')) as { graph: { dependencies: Record<string, { target: string }[]> } }).graph;
    const edges = IMAGES.flatMap((name) => (dependencies[name] ?? []).filter((edge) => IMAGES.includes(edge.target)).map((edge) => `${name} -> ${edge.target}`));
    expect(edges).toEqual([]);

    const jupyter = await ws.nx(['show', 'project', 'fornax-jupyter', '--json']);
    const dependsOn = (JSON.parse(jupyter.stdout) as { targets: Record<string, { dependsOn: { projects: string[] }[] }> }).targets['docker-build']?.dependsOn;
    expect(dependsOn?.flatMap((entry) => entry.projects).sort()).toEqual(['archive-nb', 'env-core', 'fornax-base', 'fornax-nb']);
  });

  it('the first push to main builds every image, level by level, each from its bases of this same run', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ci:images: level 1: jupyter-base\n');
    expect(first.all).toContain('ci:images: level 2: fornax-base (after jupyter-base)\n');
    expect(first.all).toContain('ci:images: level 3: archive-nb (after fornax-base), env-ciao (after fornax-base), env-core (after fornax-base), env-fermi (after fornax-base), env-heasoft (after fornax-base), fornax-nb (after fornax-base)\n');
    expect(first.all).toContain('ci:images: level 4: env-sas (after env-heasoft, fornax-base), fornax-jupyter (after archive-nb, env-core, fornax-base, fornax-nb), fornax-main (after archive-nb, env-core, fornax-base, fornax-nb)\n');
    expect(first.all).toContain('ci:images: level 5: fornax-hea (after env-ciao, env-fermi, env-heasoft, env-sas, fornax-base)\n');

    const digests: Record<string, string> = {};
    for (const name of IMAGES) {
      const built = await image(name, 'main');
      expect(built?.labels['org.opencontainers.image.revision'], name).toBe(c0);
      digests[name] = built?.digest ?? '';
    }
    for (const name of IMAGES) {
      const bases = await basesOf(name, 'main');
      expect(bases.map((base) => base.image), name).toEqual(READS[name]);
      for (const base of bases) {
        expect(base, `${name} from ${base.image}`).toEqual({ image: base.image, reference: `${builtOn}/${REPO}/${base.image}:main`, digest: digests[base.image] });
        expect(await file(name, 'main', `/stamps/${base.image}`), `${name} holds ${base.image}'s stamp`).toBe(`${base.image} 1\n`);
      }
    }
    expect((await image('fornax-hea', 'main'))?.labels['org.opencontainers.image.base.digest']).toBe(digests['fornax-base']);
    expect(first.summary.match(/^\| \d \| `/gm)).toHaveLength(12);
  });

  it('a branch that changes a mid-level image and a top image builds exactly those two, the top one on the branch\'s mid-level image and main\'s other bases', async () => {
    const sha = await ws.branch('feature/hea', { 'images/env-heasoft/stamp.txt': 'env-heasoft 2\n', 'images/fornax-hea/stamp.txt': 'fornax-hea 2\n' });
    const result = await push({ branch: 'feature/hea', sha });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('ci:images: level 1: env-heasoft\n');
    expect(result.all).toContain('ci:images: level 2: fornax-hea (after env-heasoft)\n');

    const built = [];
    for (const name of IMAGES) if ((await listTags(registry.url, `${REPO}/${name}`)).includes('feature-hea')) built.push(name);
    expect(built).toEqual(['env-heasoft', 'fornax-hea']);

    const heasoft = await image('env-heasoft', 'feature-hea');
    const bases = await basesOf('fornax-hea', 'feature-hea');
    const expected = await Promise.all(
      READS['fornax-hea']?.map(async (name) => {
        const tag = name === 'env-heasoft' ? 'feature-hea' : 'main';
        return { image: name, reference: `${registry.host}/${REPO}/${name}:${tag}`, digest: (await image(name, tag))?.digest };
      }) ?? [],
    );
    expect(bases).toEqual(expected);
    expect(bases.find((base) => base.image === 'env-heasoft')?.digest).toBe(heasoft?.digest);
    // Through the named stages: the COPY --from and the RUN --mount both read the branch's env-heasoft...
    expect(await file('fornax-hea', 'feature-hea', '/stamps/env-heasoft')).toBe('env-heasoft 2\n');
    expect(await file('fornax-hea', 'feature-hea', '/opt/env-heasoft/stamp')).toBe('env-heasoft 2\n');
    // ...and every other base is main's: env-sas still carries the env-heasoft it was built with.
    expect(await file('fornax-hea', 'feature-hea', '/stamps/env-sas')).toBe('env-sas 1\n');
    expect(await file('fornax-hea', 'feature-hea', '/opt/env-sas-heasoft/stamp')).toBe('env-heasoft 1\n');
    expect(await file('fornax-hea', 'feature-hea', '/stamps/fornax-hea')).toBe('fornax-hea 2\n');
    expect(result.all).toMatch(/base env-ciao: \S+env-ciao:feature-hea does not exist; the default branch's \S+env-ciao:main is sha256:[0-9a-f]{64} in the registry/);
    expect(result.all).toMatch(/base env-heasoft: this branch's \S+env-heasoft:feature-hea is sha256:[0-9a-f]{64} in the registry/);
  });
});

import { describe, expect, it } from 'vitest';
import { placeInLevels } from './ci-plan';
import { UserError } from '../errors';
import { artifactPattern, baseInRun, mermaidGraph, noBuildOutputs, planJobs, planOutputs, readFanoutPlan, serializePlan, type FanoutPlan } from './fanout';
import type { ImageGraph } from '../graph/image-graph';
import { pathsToFree, RUNNER_TOOLCHAINS } from './free-disk';

const HEAD = 'a'.repeat(40);
const OLDER = 'b'.repeat(40);
const NEWER = 'c'.repeat(40);

const graph: ImageGraph = {
  images: ['env-heasoft', 'env-sas', 'fornax-base', 'fornax-hea', 'jupyter-base'],
  takesFrom: {
    'env-heasoft': ['fornax-base'],
    'env-sas': ['env-heasoft', 'fornax-base'],
    'fornax-base': ['jupyter-base'],
    'fornax-hea': ['env-heasoft', 'env-sas', 'fornax-base'],
    'jupyter-base': [],
  },
};

function plan(images: string[], push = true): FanoutPlan {
  const planned = placeInLevels(graph, images.map((image) => ({ image, why: 'changed' })));
  const levels: string[][] = [];
  for (const entry of planned) (levels[entry.level - 1] ??= []).push(entry.image);
  return {
    eventName: push ? 'push' : 'pull_request',
    head: HEAD,
    branch: 'feature/x',
    tag: 'feature-x',
    defaultTag: 'main',
    registry: 'ghcr.io',
    repository: 'nasa-fornax/fornax-images',
    push,
    allImages: graph.images,
    publish: false,
    parallel: 1,
    images: planned,
    levels,
    compareCommits: [OLDER],
    removed: [],
    unread: [],
    retests: [],
    buildTarget: 'image',
    diffTarget: 'compare',
  };
}

/** A matrix entry of one image on the default runner, as a run without platforms has. */
const one = (image: string, artifacts = '') => ({ image, platform: '', 'runs-on': 'ubuntu-24.04', job: image, artifacts });
const TWO = ['linux/amd64', 'linux/arm64'];

/** The plan with these images building for these platforms. */
function withPlatforms(base: FanoutPlan, platforms: Record<string, string[]>): FanoutPlan {
  return { ...base, images: base.images.map((entry) => (platforms[entry.image] ? { ...entry, platforms: platforms[entry.image] } : entry)) };
}

describe('planOutputs', () => {
  it('hands on the plan and one matrix per level, empty levels as [], nothing to merge', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas']), 4);
    expect(outputs.levels).toBe('3');
    expect(JSON.parse(outputs.level1 ?? '')).toEqual([one('env-heasoft')]);
    expect(JSON.parse(outputs.level2 ?? '')).toEqual([one('env-sas')]);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([one('fornax-hea')]);
    expect(outputs.level4).toBe('[]');
    expect([outputs.merge1, outputs.merge2, outputs.merge3, outputs.merge4]).toEqual(['', '', '', '']);
    expect(outputs.publish).toBe('false');
    expect(Object.keys(outputs).sort()).toEqual(['level1', 'level2', 'level3', 'level4', 'levels', 'merge1', 'merge2', 'merge3', 'merge4', 'plan', 'publish']);
    expect(readFanoutPlan(outputs.plan)).toEqual(plan(['env-heasoft', 'fornax-hea', 'env-sas']));
  });

  it('names the artifacts of this run\'s bases when nothing is pushed (a pull request)', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas'], false), 3);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([one('fornax-hea', 'image-@(env-heasoft|env-sas)')]);
    expect(JSON.parse(outputs.level1 ?? '')).toEqual([one('env-heasoft')]);
  });

  it('gives each platform of an image a job on its native runner, and the level a merge of those jobs', () => {
    const outputs = planOutputs(withPlatforms(plan(['env-heasoft', 'fornax-hea', 'env-sas']), { 'env-heasoft': TWO, 'env-sas': TWO, 'fornax-hea': ['linux/arm64'] }), 3);
    expect(JSON.parse(outputs.level1 ?? '')).toEqual([
      { image: 'env-heasoft', platform: 'linux/amd64', 'runs-on': 'ubuntu-24.04', job: 'env-heasoft-linux-amd64', artifacts: '' },
      { image: 'env-heasoft', platform: 'linux/arm64', 'runs-on': 'ubuntu-24.04-arm', job: 'env-heasoft-linux-arm64', artifacts: '' },
    ]);
    expect(outputs.merge1).toBe('platform-@(env-heasoft-linux-amd64|env-heasoft-linux-arm64)');
    expect(outputs.merge2).toBe('platform-@(env-sas-linux-amd64|env-sas-linux-arm64)');
    // An image of one platform is built and tagged by its own job, on that platform's runner: nothing to merge.
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([{ image: 'fornax-hea', platform: 'linux/arm64', 'runs-on': 'ubuntu-24.04-arm', job: 'fornax-hea', artifacts: '' }]);
    expect(outputs.merge3).toBe('');
  });

  it('hands a pull request\'s platform job the artifacts of its bases built for the same platform', () => {
    const outputs = planOutputs(withPlatforms(plan(['env-heasoft', 'fornax-hea', 'env-sas'], false), { 'env-heasoft': TWO, 'env-sas': TWO }), 3);
    const level2 = JSON.parse(outputs.level2 ?? '') as { platform: string; artifacts: string }[];
    expect(level2.map((entry) => [entry.platform, entry.artifacts])).toEqual([
      ['linux/amd64', 'image-@(env-heasoft-linux-amd64)'],
      ['linux/arm64', 'image-@(env-heasoft-linux-arm64)'],
    ]);
    // An image of the default platform takes the amd64 build of a base of several (the default runner is amd64).
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([one('fornax-hea', 'image-@(env-heasoft-linux-amd64|env-sas-linux-amd64)')]);
  });

  it('packs a level of the five-hundred-image graph into one matrix, each job building several images of one platform', () => {
    const names = Array.from({ length: 500 }, (_, index) => `img-${String(index).padStart(3, '0')}`);
    const wide: FanoutPlan = {
      ...plan([]),
      images: names.map((image) => ({ image, why: 'changed', level: 1, takesFrom: [], platforms: TWO })),
      levels: [names],
      allImages: names,
    };
    const entries = JSON.parse(planOutputs(wide, 1).level1 ?? '') as { image: string; platform: string; job: string }[];
    expect(entries.length).toBeLessThanOrEqual(256);
    for (const platform of TWO) expect(entries.filter((entry) => entry.platform === platform).flatMap((entry) => entry.image.split(','))).toEqual(names);
    expect(entries[0]).toMatchObject({ image: 'img-000,img-001,img-002,img-003', job: 'img-000.x4-linux-amd64' });
    expect(planJobs(wide)[0]?.packed).toBe('level 1: 1000 image × platform entries exceed GitHub\'s 256-job matrix, so up to 4 images of one platform share a job (250 jobs)');
  });

  it('takes the runners from the plan\'s platformRunners', () => {
    const given = { ...withPlatforms(plan(['env-heasoft']), { 'env-heasoft': TWO }), platformRunners: { 'linux/amd64': 'big-x64', 'linux/arm64': 'graviton' } };
    expect((JSON.parse(planOutputs(given).level1 ?? '') as { 'runs-on': string }[]).map((entry) => entry['runs-on'])).toEqual(['big-x64', 'graviton']);
  });

  it('refuses a run deeper than the workflow\'s level jobs, saying how to make room', () => {
    const call = () => planOutputs(plan(['jupyter-base', 'fornax-base', 'env-heasoft']), 2);
    expect(call).toThrow(UserError);
    expect(call).toThrow(
      /this run's image graph has 3 levels, but image-build\.yml has 2 level jobs: add jobs level3 and merge3 \(copies of level2 and merge2, each after the one before, and the summary job's needs\), and raise LEVEL_JOBS there to 3\./,
    );
  });

  it('has exactly as many levels as the graph without a number of level jobs (a plan made outside a workflow)', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas']));
    expect(Object.keys(outputs).sort()).toEqual(['level1', 'level2', 'level3', 'levels', 'merge1', 'merge2', 'merge3', 'plan', 'publish']);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([one('fornax-hea')]);
    expect(Object.keys(planOutputs(plan([])))).toEqual(['plan', 'levels', 'publish']);
  });

  it('empties every level when nothing is to be built', () => {
    expect(noBuildOutputs(2)).toEqual({ plan: '', levels: '0', publish: 'false', level1: '[]', merge1: '', level2: '[]', merge2: '' });
    expect(noBuildOutputs()).toEqual({ plan: '', levels: '0', publish: 'false' });
  });
});

describe('readFanoutPlan', () => {
  const good = JSON.parse(serializePlan(plan(['env-heasoft']))) as Record<string, unknown>;
  it.each<[string, string | undefined, RegExp]>([
    ['nothing', undefined, /IMAGES_PLAN is empty: run it from the plan job's outputs \(IMAGES_PLAN\), or make one with npm run ci:images -- --plan\./],
    ['not JSON', '{', /IMAGES_PLAN is not JSON/],
    ['another version', JSON.stringify({ ...good, version: 1 }), /not a plan this version made \(its version 1 is not 2\)/],
    ['a build time that is no time', JSON.stringify({ ...good, buildTime: 'yesterday' }), /not a plan this version made \(its build time is not a time\)/],
    ['a build target that could be an option', JSON.stringify({ ...good, buildTarget: '--push' }), /its build target is not a target name/],
    ['a build target with a configuration', JSON.stringify({ ...good, buildTarget: 'image:prod' }), /its build target is not a target name/],
    ['a diff target that could be an option', JSON.stringify({ ...good, diffTarget: '--from=main' }), /its diff target is not a target name/],
    ['a head that is no commit', JSON.stringify({ ...good, head: 'main' }), /its head is not a commit/],
    ['a tag that is no tag', JSON.stringify({ ...good, tag: 'a/b' }), /its tags are not Docker tags/],
    ['no push decision', JSON.stringify({ ...good, push: 'yes' }), /it has no registry, repository or push/],
    ['an image name that could be an option', JSON.stringify({ ...good, images: [{ image: '--push', level: 1, takesFrom: [], why: '' }] }), /its images are not a list of planned images/],
    ['a step that could be an option', JSON.stringify({ ...good, images: [{ image: 'env-sas', level: 1, takesFrom: [], why: '', steps: ['--push'] }] }), /its images are not a list of planned images/],
    ['a step with a configuration', JSON.stringify({ ...good, images: [{ image: 'env-sas', level: 1, takesFrom: [], why: '', steps: ['prepare:prod'] }] }), /its images are not a list of planned images/],
    ['steps that are no list', JSON.stringify({ ...good, images: [{ image: 'env-sas', level: 1, takesFrom: [], why: '', steps: 'prepare' }] }), /its images are not a list of planned images/],
  ])('refuses %s in one line', (_case, text, message) => {
    const call = () => readFanoutPlan(text);
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });
});

describe('a plan with steps before the build', () => {
  it('hands each image\'s steps on, and none for an image without', () => {
    const planned = placeInLevels(graph, [{ image: 'fornax-hea', why: 'changed' }, { image: 'env-sas', why: 'changed' }], { 'fornax-hea': ['prepare', 'kernels.v2'], 'env-sas': [] });
    expect(planned.map((entry) => entry.steps)).toEqual([['prepare', 'kernels.v2'], undefined]);
    const read = readFanoutPlan(serializePlan({ ...plan(['env-sas']), images: planned }));
    expect(read.images.find((entry) => entry.image === 'fornax-hea')?.steps).toEqual(['prepare', 'kernels.v2']);
    expect(read.images.find((entry) => entry.image === 'env-sas')).not.toHaveProperty('steps');
  });
});

describe('artifactPattern', () => {
  it.each<[string[], string]>([
    [[], ''],
    [['env-heasoft'], 'image-@(env-heasoft)'],
    [['env-sas', 'env-heasoft'], 'image-@(env-heasoft|env-sas)'],
  ])('%j -> %j', (images, pattern) => {
    expect(artifactPattern(images)).toBe(pattern);
  });
});

describe('baseInRun', () => {
  const reference = 'ghcr.io/o/n/env-heasoft:feature-x';
  it.each<[string, Parameters<typeof baseInRun>[3], ReturnType<typeof baseInRun>['kind'], RegExp | undefined]>([
    ['built from this run\'s commit: ready', { kind: 'present', revision: HEAD, ancestorOfHead: true }, 'ready', undefined],
    ['absent: this run did not build it', { kind: 'absent' }, 'missing', /takes from env-heasoft, which this run did not build \(\S+ does not exist\)/],
    ['from an older commit: this run\'s build did not land', { kind: 'present', revision: OLDER, ancestorOfHead: true }, 'missing', /is still from bbbbbbb\)/],
    ['no revision label', { kind: 'present', ancestorOfHead: false }, 'missing', /is still from no commit/],
    ['from a commit that is not ours nor older: a newer run moved it', { kind: 'present', revision: NEWER, ancestorOfHead: false }, 'stale', /built from ccccccc, not this run's aaaaaaa: a newer run moved it, so this run is stale; it stops rather than build on that/],
    ['reused for this run: built from an older commit, with the inputs the plan expects', { kind: 'present', revision: OLDER, ancestorOfHead: true, inputs: 'sha256:in' }, 'ready', undefined],
    ['reused from a commit that is no ancestor (a squash merge\'s branch), same inputs', { kind: 'present', revision: NEWER, ancestorOfHead: false, inputs: 'sha256:in' }, 'ready', undefined],
    ['other inputs than the plan expects: still missing', { kind: 'present', revision: OLDER, ancestorOfHead: true, inputs: 'sha256:other' }, 'missing', /is still from bbbbbbb\)/],
  ])('%s', (_case, observed, kind, reason) => {
    const decision = baseInRun('env-heasoft', reference, HEAD, observed, 'sha256:in');
    expect(decision.kind).toBe(kind);
    if (reason && decision.kind !== 'ready') expect(decision.reason).toMatch(reason);
  });
});

describe('mermaidGraph', () => {
  it('draws every image, an arrow from each base, and marks this run\'s images with their level', () => {
    const drawn = mermaidGraph(graph, plan(['env-heasoft', 'fornax-hea']).images);
    expect(drawn.split('\n')).toEqual([
      '```mermaid',
      'flowchart LR',
      '  i0["env-heasoft<br/>level 1"]',
      '  i1["env-sas"]',
      '  i2["fornax-base"]',
      '  i3["fornax-hea<br/>level 2"]',
      '  i4["jupyter-base"]',
      '  i2 --> i0',
      '  i0 --> i1',
      '  i2 --> i1',
      '  i4 --> i2',
      '  i0 --> i3',
      '  i1 --> i3',
      '  i2 --> i3',
      '  classDef built fill:#fde68a,stroke:#b45309,stroke-width:2px',
      '  class i0,i3 built',
      '```',
    ]);
  });

  it('marks nothing when nothing is built', () => {
    expect(mermaidGraph(graph, [])).not.toContain('classDef');
  });
});

describe('pathsToFree', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, RUNNER_TOOLCHAINS],
    ['', RUNNER_TOOLCHAINS],
    ['/opt/a, /opt/b\n/usr/c', ['/opt/a', '/opt/b', '/usr/c']],
  ])('%j', (value, paths) => {
    expect(pathsToFree(value)).toEqual(paths);
  });

  it.each([['relative/path'], ['/'], ['///'], ['/opt/../etc']])('refuses %j', (value) => {
    expect(() => pathsToFree(value)).toThrow(/FREE_DISK_PATHS entry .* is not an absolute folder below \//);
  });
});

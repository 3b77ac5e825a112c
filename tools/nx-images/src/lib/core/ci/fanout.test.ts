import { describe, expect, it } from 'vitest';
import { placeInLevels } from './ci-plan';
import { UserError } from '../errors';
import { artifactPattern, baseInRun, mermaidGraph, noBuildOutputs, planOutputs, readFanoutPlan, serializePlan, type FanoutPlan } from './fanout';
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

describe('planOutputs', () => {
  it('hands on the plan and one matrix per level, empty levels as []', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas']), 4);
    expect(outputs.levels).toBe('3');
    expect(JSON.parse(outputs.level1 ?? '')).toEqual([{ image: 'env-heasoft', artifacts: '' }]);
    expect(JSON.parse(outputs.level2 ?? '')).toEqual([{ image: 'env-sas', artifacts: '' }]);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([{ image: 'fornax-hea', artifacts: '' }]);
    expect(outputs.level4).toBe('[]');
    expect(outputs.publish).toBe('false');
    expect(Object.keys(outputs).sort()).toEqual(['level1', 'level2', 'level3', 'level4', 'levels', 'plan', 'publish']);
    expect(readFanoutPlan(outputs.plan)).toEqual(plan(['env-heasoft', 'fornax-hea', 'env-sas']));
  });

  it('names the artifacts of this run\'s bases when nothing is pushed (a pull request)', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas'], false), 3);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([{ image: 'fornax-hea', artifacts: 'image-@(env-heasoft|env-sas)' }]);
    expect(JSON.parse(outputs.level1 ?? '')).toEqual([{ image: 'env-heasoft', artifacts: '' }]);
  });

  it('refuses a run deeper than the workflow\'s level jobs, saying how to make room', () => {
    const call = () => planOutputs(plan(['jupyter-base', 'fornax-base', 'env-heasoft']), 2);
    expect(call).toThrow(UserError);
    expect(call).toThrow(
      /this run's image graph has 3 levels, but image-build\.yml has 2 level jobs: add a job level3 \(a copy of level2 that needs it, and the summary job's needs\), and raise LEVEL_JOBS there to 3\./,
    );
  });

  it('has exactly as many levels as the graph without a number of level jobs (a plan made outside a workflow)', () => {
    const outputs = planOutputs(plan(['env-heasoft', 'fornax-hea', 'env-sas']));
    expect(Object.keys(outputs).sort()).toEqual(['level1', 'level2', 'level3', 'levels', 'plan', 'publish']);
    expect(JSON.parse(outputs.level3 ?? '')).toEqual([{ image: 'fornax-hea', artifacts: '' }]);
    expect(Object.keys(planOutputs(plan([])))).toEqual(['plan', 'levels', 'publish']);
  });

  it('empties every level when nothing is to be built', () => {
    expect(noBuildOutputs(2)).toEqual({ plan: '', levels: '0', publish: 'false', level1: '[]', level2: '[]' });
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

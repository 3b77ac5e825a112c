import { describe, expect, it } from 'vitest';
import { buildRunArgs, formatPlan, parallelFrom, placeInLevels, skipsIn, skipTestsReason, stepEnv, stepRunArgs, type ImagesPlan, type Outcome } from './ci-plan';
import type { ImageGraph } from '../graph/image-graph';

describe('buildRunArgs', () => {
  const input = { images: ['tractor', 'base_image'], tag: 'feature-x', registry: 'ghcr.io', repository: 'o/n', defaultTag: 'main', push: true, parallel: 1 };
  it('builds the images with task dependencies excluded and every CI option', () => {
    expect(buildRunArgs(input).join(' ')).toBe(
      'run-many --targets=docker-build --projects=base_image,tractor --exclude-task-dependencies --parallel=1 --outputStyle=stream --registry=ghcr.io --repository=o/n --tag=feature-x --baseTagFallback=main --registryCache --forwardOnly --test --push',
    );
  });
  it('skips the tests, saying why, when the run does', () => {
    expect(buildRunArgs({ ...input, skipTests: '[skip-tests] in the head commit message' })).toContain('--skipTests=[skip-tests] in the head commit message');
    expect(buildRunArgs({ ...input, skipTests: 'x' })).not.toContain('--test');
  });

  it('builds one platform of several alone, pushed by digest only when the run pushes', () => {
    expect(buildRunArgs({ ...input, platform: 'linux/arm64' }).slice(-3)).toEqual(['--push', '--platforms=linux/arm64', '--digestOnly']);
    expect(buildRunArgs({ ...input, push: false, platform: 'linux/arm64' }).slice(-2)).toEqual(['--test', '--platforms=linux/arm64']);
    expect(buildRunArgs(input).join(' ')).not.toContain('platforms');
  });
  it('does not push when told not to', () => {
    expect(buildRunArgs({ ...input, push: false })).not.toContain('--push');
  });
  it('gives every image the run\'s one build time, so their time tags agree', () => {
    expect(buildRunArgs({ ...input, buildTime: '2026-06-30T12:00:00.000Z' })).toContain('--buildTime=2026-06-30T12:00:00.000Z');
    expect(buildRunArgs(input).some((arg) => arg.startsWith('--buildTime'))).toBe(false);
  });
  it('runs nothing for no image', () => {
    expect(buildRunArgs({ ...input, images: [] })).toEqual([]);
  });
  it('runs the build target by the name the plugin gave it', () => {
    expect(buildRunArgs({ ...input, buildTarget: 'image' })[1]).toBe('--targets=image');
  });
});

describe('skipTestsReason', () => {
  it.each<[string, { eventName: string; skipTestsAsked: boolean }, string | undefined, string | undefined]>([
    ['a push: tests run', { eventName: 'push', skipTestsAsked: false }, 'tractor: pin numpy', undefined],
    ['[skip-tests] in the head commit', { eventName: 'push', skipTestsAsked: false }, 'docs\n\n[skip-tests]', '[skip-tests] in the head commit message'],
    ['the dispatch input', { eventName: 'workflow_dispatch', skipTestsAsked: true }, undefined, 'the workflow_dispatch input skip-tests'],
    ['SKIP_TESTS on a laptop', { eventName: 'local', skipTestsAsked: true }, undefined, 'SKIP_TESTS=true'],
    ['no message at all', { eventName: 'pull_request', skipTestsAsked: false }, undefined, undefined],
    ['a lookalike is not the marker', { eventName: 'push', skipTestsAsked: false }, '[skip tests]', undefined],
  ])('%s', (_case, context, message, reason) => {
    expect(skipTestsReason(context, message)).toBe(reason);
  });
});

describe('parallelFrom', () => {
  it.each([[undefined, 1], ['', 1], ['2', 2], ['16', 16]])('%j -> %d', (value, n) => {
    expect(parallelFrom(value)).toBe(n);
  });
  it.each([['0'], ['-1'], ['two'], ['1.5'], ['100']])('refuses %j', (value) => {
    expect(() => parallelFrom(value)).toThrow(/BUILD_PARALLEL/);
  });
});

describe('placeInLevels and skipsIn', () => {
  // env-heasoft and fornax-base feed env-sas; fornax-hea takes from all three; env-core stands alone.
  const graph: ImageGraph = {
    images: ['env-core', 'env-heasoft', 'env-sas', 'fornax-base', 'fornax-hea'],
    takesFrom: {
      'env-core': ['fornax-base'],
      'env-heasoft': ['fornax-base'],
      'env-sas': ['env-heasoft', 'fornax-base'],
      'fornax-base': [],
      'fornax-hea': ['env-heasoft', 'env-sas', 'fornax-base'],
    },
  };
  const chosen = (...images: string[]) => images.map((image) => ({ image, why: 'changed' }));

  it('places each image by what it takes from in this run only', () => {
    expect(placeInLevels(graph, chosen('fornax-hea', 'env-heasoft', 'env-core')).map(({ image, level, takesFrom }) => [image, level, takesFrom])).toEqual([
      ['fornax-hea', 2, ['env-heasoft']],
      ['env-heasoft', 1, []],
      ['env-core', 1, []],
    ]);
  });

  it.each<[string, Record<string, Outcome>, { image: string; reason: string }[]]>([
    ['nothing failed: nothing skipped', { 'env-heasoft': 'built', 'fornax-base': 'built', 'env-sas': 'built' }, []],
    [
      'a failed base skips what takes from it',
      { 'env-heasoft': 'failed', 'fornax-base': 'built' },
      [
        { image: 'env-sas', reason: 'takes from env-heasoft, which failed' },
        { image: 'fornax-hea', reason: 'takes from env-heasoft, which failed' },
      ],
    ],
    [
      'a skipped base skips in turn, and every broken base is named',
      { 'env-heasoft': 'failed', 'env-sas': 'skipped', 'fornax-base': 'built' },
      [
        { image: 'env-sas', reason: 'takes from env-heasoft, which failed' },
        { image: 'fornax-hea', reason: 'takes from env-heasoft, which failed, and from env-sas, which was skipped' },
      ],
    ],
  ])('%s', (_case, outcomes, skips) => {
    const planned = placeInLevels(graph, chosen('fornax-base', 'env-heasoft', 'env-sas', 'fornax-hea', 'env-core'));
    const later = planned.filter((entry) => entry.level >= 3);
    expect(skipsIn(later, outcomes)).toEqual(skips);
  });

  it('an image independent of the failure is never skipped', () => {
    const planned = placeInLevels(graph, chosen('fornax-base', 'env-core', 'env-heasoft'));
    expect(skipsIn(planned.filter((entry) => entry.level === 2), { 'fornax-base': 'built', 'env-heasoft': 'failed' })).toEqual([]);
  });
});

describe('formatPlan', () => {
  it('prints the run, each image\'s comparison and each level', () => {
    const graph: ImageGraph = { images: ['a', 'b'], takesFrom: { a: [], b: ['a'] } };
    const images = placeInLevels(graph, [{ image: 'a', why: 'changed' }, { image: 'b', why: 'changed' }]);
    const plan: ImagesPlan = {
      eventName: 'push',
      head: 'e'.repeat(40),
      branch: 'feature/x',
      tag: 'feature-x',
      defaultTag: 'main',
      registry: 'ghcr.io',
      allImages: ['a', 'b'],
      publish: false,
      repository: 'o/n',
      push: true,
      parallel: 1,
      graph,
      images,
      levels: [['a'], ['b']],
      compareCommits: [],
      removed: [],
      unread: [],
      retests: [],
      lines: ['a: build: compared with x: changed: images/a/Dockerfile'],
    };
    expect(formatPlan(plan)).toEqual([
      'ci:images: push on feature/x -> tag feature-x, head eeeeeee, push to ghcr.io/o/n',
      '  a: build: compared with x: changed: images/a/Dockerfile',
      'ci:images: level 1: a',
      'ci:images: level 2: b (after a)',
    ]);
    expect(formatPlan({ ...plan, images: [], levels: [] }).at(-1)).toBe('ci:images: no image is affected; nothing to build.');
  });
});

describe('a step before the build', () => {
  it.each<[string, string, string]>([
    ['fornax-jupyter', 'prepare', 'run fornax-jupyter:prepare --exclude-task-dependencies --outputStyle=stream'],
    ['env_core.v2', 'kernels-v2.x', 'run env_core.v2:kernels-v2.x --exclude-task-dependencies --outputStyle=stream'],
  ])('%s:%s runs alone, its own dependencies excluded', (image, step, args) => {
    expect(stepRunArgs(image, step).join(' ')).toBe(args);
  });

  it.each<[boolean, string]>([
    [true, 'true'],
    [false, 'false'],
  ])('is told the run by variables (push %s)', (push, value) => {
    expect(stepEnv({ registry: 'localhost:5000', repository: 'o/n', tag: 'feature-Fix_Issue-34', defaultTag: 'main', push })).toEqual({
      IMAGE_REGISTRY: 'localhost:5000',
      IMAGE_REPOSITORY: 'o/n',
      IMAGE_TAG: 'feature-Fix_Issue-34',
      IMAGE_BASE_TAG_FALLBACK: 'main',
      IMAGE_PUSH: value,
    });
  });
});

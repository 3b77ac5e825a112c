import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Registry } from '../harness/registry';
import { runDockerBuildExecutor } from '../harness/run-docker-build';
import type { CommandTrace } from '../harness/trace-commands';
import type { Workspace } from '../harness/workspace';
import { expectNoInjectedOption, hostileSetup, REPO } from './hostile-setup';

// Names come from anyone who can push a branch: each hostile one becomes a
// valid tag, or ends in one clear line before any docker command runs. Here each is planned with
// --dry-run; hostile-builds.int.test.ts builds some for real.
const setup = hostileSetup();
let registry: Registry;
let ws: Workspace;
let trace: CommandTrace;
let M: string;
let m: string;
beforeAll(() => {
  ({ registry, ws, trace, M, m } = setup);
});

type Case = {
  via: 'branch' | 'tag' | 'image' | 'build-arg value' | 'build-arg name';
  value: string;
  /** The tag it must become (or match), or the error it must end in. */
  expected: () => string | RegExp | { matches: RegExp };
};

const branch = (value: string, expected: Case['expected']): Case => ({ via: 'branch', value, expected });
const BAD_TAG = /^base_image: --tag: ".*" is not a valid Docker tag: use 1-128 characters/;
const BAD_IMAGE = /^base_image: image name: ".*" is not valid: use lower-case letters/;
const BAD_ARG_NAME = /^base_image: build arg: ".*" is not a valid name/;

const CASES: (() => Case)[] = [
  () => branch(`feature/$(touch ${M}/p1)`, () => `feature-touch-${m}-p1-`),
  () => branch(`\`touch ${M}/p2\``, () => `touch-${m}-p2-`),
  () => branch(`a;touch ${M}/p3`, () => `a-touch-${m}-p3`),
  () => branch(`a|touch ${M}/p4&&touch ${M}/p5`, () => `a-touch-${m}-p4-touch-${m}-p5`),
  () => branch(`main\n--output=${M}/out`, () => `main---output-${m}-out`),
  () => branch(`--output=${M}/out`, () => `output-${m}-out`),
  () => branch('-x', () => 'x'),
  () => branch('../../etc/passwd', () => 'etc-passwd'),
  () => branch('..', () => /^base_image: branch: "\.\." has no character/),
  () => branch('///', () => /^base_image: branch: "\/\/\/" has no character/),
  () => branch('✓✓✓', () => /^base_image: branch: "✓✓✓" has no character/),
  () => branch('\r\n', () => /^base_image: branch: "\\r\\n" has no character/),
  () => branch('fix/ünïcode', () => 'fix-n-code'),
  () => branch('a'.repeat(300), () => ({ matches: /^a{119}-[0-9a-f]{8}$/ })),
  () => branch('Feature/X', () => 'Feature-X'),
  () => branch('feature/x', () => 'feature-x'),
  () => branch('$HOME', () => 'HOME'),
  () => branch('${IFS}x', () => 'IFS-x'),
  () => branch(`'quoted' "double"`, () => 'quoted-double-'),
  () => branch('a\tb', () => 'a-b'),
  () => branch('<script>alert(1)</script>', () => 'script-alert-1-script-'),
  () => branch('.hidden', () => 'hidden'),
  () => branch('🚀-launch', () => 'launch'),
  () => branch('%2e%2e%2fetc', () => '2e-2e-2fetc'),
  () => ({ via: 'tag', value: '-x', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: `--output=${M}/out`, expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'a;b', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: `$(touch ${M}/p6)`, expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: '../../etc', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'v'.repeat(129), expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'ok\nnext', expected: () => BAD_TAG }),
  () => ({ via: 'tag', value: 'v1.0.0', expected: () => 'v1.0.0' }),
  () => ({ via: 'image', value: '../../etc', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: '-x', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: 'Base_Image', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: 'a;b', expected: () => BAD_IMAGE }),
  () => ({ via: 'image', value: `$(touch ${M}/p7)`, expected: () => BAD_IMAGE }),
  () => ({ via: 'build-arg value', value: `$(touch ${M}/p8)`, expected: () => 'main' }),
  () => ({ via: 'build-arg value', value: `a\n--output=${M}/out`, expected: () => 'main' }),
  () => ({ via: 'build-arg value', value: `\`touch ${M}/p9\`;touch ${M}/p10`, expected: () => 'main' }),
  () => ({ via: 'build-arg name', value: '-x', expected: () => BAD_ARG_NAME }),
  () => ({ via: 'build-arg name', value: 'A;touch', expected: () => BAD_ARG_NAME }),
];

describe('hostile names, planned with --dry-run (the executor in-process, docker and git traced)', () => {
  test.each(CASES.map((make, index) => [index + 1, make] as const))('case %i', async (_index, make) => {
    const c = make();
    const expected = c.expected();
    trace.clear();
    const options = {
      registry: registry.host,
      repository: REPO,
      dryRun: true,
      ...(c.via === 'tag' ? { tag: c.value } : {}),
      ...(c.via === 'image' ? { image: c.value } : {}),
      ...(c.via === 'build-arg value' ? { buildArgs: { EXTRA: c.value } } : {}),
      ...(c.via === 'build-arg name' ? { buildArgs: { [c.value]: 'v' } } : {}),
    };
    const result = await runDockerBuildExecutor(ws.dir, 'base_image', options, {
      PATH: trace.path,
      GITHUB_HEAD_REF: undefined,
      GITHUB_REF_NAME: c.via === 'branch' ? c.value : undefined,
    });
    const calls = trace.calls();
    expect(calls.filter((call) => call.command === 'docker' && call.args.some((arg) => arg === 'build' || arg === 'push'))).toEqual([]);
    expectNoInjectedOption(calls, c.value);
    if (expected instanceof RegExp) {
      expect(result.success, result.output).toBe(false);
      expect(result.output.trim().split('\n'), 'one line').toHaveLength(1);
      expect(result.output.trim()).toMatch(expected);
      // Refused while normalizing: not even the docker client was looked at.
      expect(calls.filter((call) => call.command === 'docker')).toEqual([]);
      return;
    }
    expect(result.success, result.output).toBe(true);
    // The trace saw the run: the dry run asks docker (which client builds, or whether the engine answers), and git for the commit.
    expect(calls.some((call) => call.command === 'docker' && call.args[0] !== 'build'), 'docker traced').toBe(true);
    expect(calls.some((call) => call.command === 'git'), 'git traced').toBe(true);
    const tag = /base_image:(\S+) {2}\(tag from/.exec(result.output)?.[1];
    if (typeof expected === 'string') expect(tag).toBe(expected);
    else expect(tag).toMatch(expected.matches);
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    if (c.via === 'build-arg value') {
      // The value stays one argument: the printed plan quotes it whole.
      expect(result.output).toContain(`'--build-arg=EXTRA=${c.value.replace(/'/g, `'\\''`)}'`);
    }
  });

  test('every payload target is untouched', () => {
    expect(readdirSync(M)).toEqual([]);
  });
});


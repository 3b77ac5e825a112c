import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../lib/core/errors';
import { batchOf, outcome, taskOf, type Log, type Task, type Work } from './outcome';

const context = (projectName?: string) => ({ root: '/ws', cwd: '/ws', isVerbose: false, ...(projectName ? { projectName } : {}) }) as ExecutorContext;

function recording(): { log: Log; lines: string[] } {
  const lines: string[] = [];
  const keep = (prefix: string) => (line: string) => lines.push(`${prefix}${line}`);
  return { log: { info: keep(''), warn: keep('warn: '), error: keep('error: ') }, lines };
}

describe('outcome', () => {
  const fail = (parts: Problem) => () => Promise.reject(new UserError(parts));
  const VARIANT = { image: 'pytorch-notebook', variant: 'cuda12' };
  it.each<[string, Work<unknown>, string | undefined, unknown, boolean, RegExp[]]>([
    ['work that ends well', (_o, _c, log) => Promise.resolve(log.info('done')), 'tractor', {}, true, [/^done$/]],
    ['a UserError about something else: one line, named after the project', fail({ subject: 'docker', problem: 'the engine does not answer', fix: 'start it' }), 'tractor', {}, false, [/^error: tractor: docker: the engine does not answer: start it\.$/]],
    ['a UserError whose subject is the project is not named twice', fail({ subject: 'tractor', problem: 'gone', fix: 'build it' }), 'tractor', {}, false, [/^error: tractor: gone: build it\.$/]],
    ['a part of the project (its image field) is not named twice', fail({ image: 'tractor', subject: 'docker-build option tags', problem: 'not a list', fix: 'give one' }), 'tractor', {}, false, [/^error: tractor: docker-build option tags: not a list: give one\.$/]],
    ['another image is named after the project', fail({ subject: 'base_image', problem: 'its tests failed', fix: 'see the report' }), 'tractor', {}, false, [/^error: tractor: base_image: its tests failed: see the report\.$/]],
    ['a subject that merely starts like the project is named after it', fail({ subject: 'tractor-gpu', problem: 'gone', fix: 'build it' }), 'tractor', {}, false, [/^error: tractor: tractor-gpu: gone: build it\.$/]],
    ['a variant: an error naming its image is not named twice', fail({ subject: 'pytorch-notebook', problem: 'main was built from 1234', fix: 'rebuild it' }), 'pytorch-notebook-cuda12', VARIANT, false, [/^error: pytorch-notebook: main was built from 1234: rebuild it\.$/]],
    ['a variant: an error naming image:variant is not named twice', fail({ subject: 'pytorch-notebook:cuda12', problem: 'no tag', fix: 'push it' }), 'pytorch-notebook-cuda12', VARIANT, false, [/^error: pytorch-notebook:cuda12: no tag: push it\.$/]],
    ['a variant: an error naming the project is not named twice', fail({ image: 'pytorch-notebook-cuda12', subject: 'tests', problem: 'none', fix: 'add some' }), 'pytorch-notebook-cuda12', VARIANT, false, [/^error: pytorch-notebook-cuda12: tests: none: add some\.$/]],
    ['a variant: another variant of the image is named after the project', fail({ subject: 'pytorch-notebook:cuda11', problem: 'no tag', fix: 'push it' }), 'pytorch-notebook-cuda12', VARIANT, false, [/^error: pytorch-notebook-cuda12: pytorch-notebook:cuda11: no tag: push it\.$/]],
    ['a blank image option names nothing', fail({ subject: ' ', problem: 'odd', fix: 'fix it' }), 'tractor', { image: ' ' }, false, [/^error: tractor: odd: fix it\.$/]],
    ['a bug of ours: the line, then its stack', () => Promise.reject(new TypeError('x is undefined')), 'tractor', {}, false, [/^error: tractor: x is undefined$/, /^error: TypeError: x is undefined\n\s+at /]],
    ['a bug whose message starts like the project is still named', () => Promise.reject(new Error('tractor: half a message')), 'tractor', {}, false, [/^error: tractor: tractor: half a message$/, /^error: Error: tractor: half a message\n\s+at /]],
    ['no project in the context', fail({ subject: 'docker-build', problem: 'it runs for one project, and Nx named none', fix: 'run it as a target' }), undefined, {}, false, [/^error: docker-build: it runs for one project, and Nx named none: run it as a target\.$/]],
  ])('%s', async (_case, work, project, options, success, lines) => {
    const { log, lines: printed } = recording();
    expect(await outcome(work, options, context(project), log)).toEqual({ success });
    expect(printed).toHaveLength(lines.length);
    lines.forEach((line, index) => expect(printed[index]).toMatch(line));
  });
});

describe('batchOf', () => {
  it('runs every task in turn and gives each its own output and result', async () => {
    const work: Work<{ fail?: boolean }> = (options, taskContext, log) => {
      log.info(`checking ${taskContext.projectName ?? ''}`);
      return options.fail ? Promise.reject(new UserError({ subject: 'main', problem: 'not built from the release commit', fix: 'rebuild it' })) : Promise.resolve();
    };
    const task = (project: string) => ({ id: `${project}:release-check`, target: { project, target: 'release-check' }, overrides: {}, outputs: [], parallelism: true });
    const taskGraph = { roots: [], tasks: { 'a:release-check': task('a'), 'b:release-check': task('b') }, dependencies: {} } as unknown as TaskGraph;
    const results = [];
    for await (const result of batchOf(work)(taskGraph, { 'a:release-check': {}, 'b:release-check': { fail: true } }, {}, context())) results.push(result);
    expect(results.map(({ task: id, result }) => [id, result.success, result.terminalOutput])).toEqual([
      ['a:release-check', true, 'checking a'],
      ['b:release-check', false, 'checking b\nb: main: not built from the release commit: rebuild it.'],
    ]);
    expect(results.every(({ result }) => result.endTime >= result.startTime)).toBe(true);
  });
});

describe('taskOf', () => {
  const configured = { version: 2, projects: { tractor: { root: 'images/tractor', targets: { 'docker-build': {}, 'image-test': {} } } } };
  it.each<[string, Partial<ExecutorContext>, Task]>([
    ['the project, its root, its targets and the running target', { projectName: 'tractor', targetName: 'image', projectsConfigurations: configured }, { project: 'tractor', projectRoot: 'images/tractor', workspaceRoot: '/ws', targetName: 'image', targets: ['docker-build', 'image-test'] }],
    ['the executor\'s own name when Nx gave no target (a call outside nx run)', { projectName: 'tractor', projectsConfigurations: configured }, { project: 'tractor', projectRoot: 'images/tractor', workspaceRoot: '/ws', targetName: 'docker-build', targets: ['docker-build', 'image-test'] }],
    ['no root nor targets when Nx configured none', { projectName: 'loose' }, { project: 'loose', workspaceRoot: '/ws', targetName: 'docker-build', targets: [] }],
  ])('%s', (_case, extra, expected) => {
    expect(taskOf({ ...context(), ...extra }, 'docker-build')).toEqual(expected);
  });

  it.each<[string | undefined, string]>([
    [undefined, 'docker-build'],
    ['image', 'image'],
  ])('without a project (target %j) it is a UserError naming the target', (targetName, named) => {
    const call = () => taskOf({ ...context(), ...(targetName ? { targetName } : {}) }, 'docker-build');
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining({ subject: named, problem: 'it runs for one project, and Nx named none', fix: `run it as nx run <image>:${named}` }));
  });
});

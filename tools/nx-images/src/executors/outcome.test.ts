import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { UserError } from '../lib/core/errors';
import { batchOf, outcome, taskOf, type Log, type Task, type Work } from './outcome';

const context = (projectName?: string) => ({ root: '/ws', cwd: '/ws', isVerbose: false, ...(projectName ? { projectName } : {}) }) as ExecutorContext;

function recording(): { log: Log; lines: string[] } {
  const lines: string[] = [];
  const keep = (prefix: string) => (line: string) => lines.push(`${prefix}${line}`);
  return { log: { info: keep(''), warn: keep('warn: '), error: keep('error: ') }, lines };
}

describe('outcome', () => {
  it.each<[string, Work<unknown>, string | undefined, boolean, RegExp[]]>([
    ['work that ends well', (_o, _c, log) => Promise.resolve(log.info('done')), 'tractor', true, [/^done$/]],
    ['a UserError: one line, named after the project', () => Promise.reject(new UserError('no Dockerfile: add one.')), 'tractor', false, [/^error: tractor: no Dockerfile: add one\.$/]],
    ['a message that already names the project is not named twice', () => Promise.reject(new UserError('tractor: gone')), 'tractor', false, [/^error: tractor: gone$/]],
    ['a bug of ours: the line, then its stack', () => Promise.reject(new TypeError('x is undefined')), 'tractor', false, [/^error: tractor: x is undefined$/, /^error: TypeError: x is undefined\n\s+at /]],
    ['no project in the context', () => Promise.reject(new UserError('run it as a target')), undefined, false, [/^error: run it as a target$/]],
  ])('%s', async (_case, work, project, success, lines) => {
    const { log, lines: printed } = recording();
    expect(await outcome(work, {}, context(project), log)).toEqual({ success });
    expect(printed).toHaveLength(lines.length);
    lines.forEach((line, index) => expect(printed[index]).toMatch(line));
  });
});

describe('batchOf', () => {
  it('runs every task in turn and gives each its own output and result', async () => {
    const work: Work<{ fail?: boolean }> = (options, taskContext, log) => {
      log.info(`checking ${taskContext.projectName ?? ''}`);
      return options.fail ? Promise.reject(new UserError('not built from the release commit')) : Promise.resolve();
    };
    const task = (project: string) => ({ id: `${project}:release-check`, target: { project, target: 'release-check' }, overrides: {}, outputs: [], parallelism: true });
    const taskGraph = { roots: [], tasks: { 'a:release-check': task('a'), 'b:release-check': task('b') }, dependencies: {} } as unknown as TaskGraph;
    const results = [];
    for await (const result of batchOf(work)(taskGraph, { 'a:release-check': {}, 'b:release-check': { fail: true } }, {}, context())) results.push(result);
    expect(results.map(({ task: id, result }) => [id, result.success, result.terminalOutput])).toEqual([
      ['a:release-check', true, 'checking a'],
      ['b:release-check', false, 'checking b\nb: not built from the release commit'],
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

  it.each<[string | undefined, RegExp]>([
    [undefined, /^docker-build runs for one project: run it as nx run <image>:docker-build\.$/],
    ['image', /^image runs for one project: run it as nx run <image>:image\.$/],
  ])('without a project (target %j) it is a UserError naming the target', (targetName, message) => {
    const call = () => taskOf({ ...context(), ...(targetName ? { targetName } : {}) }, 'docker-build');
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });
});

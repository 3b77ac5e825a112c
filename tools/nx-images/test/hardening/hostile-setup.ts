import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startRegistry, type Registry } from '../harness/registry';
import { traceCommands, type CommandTrace } from '../harness/trace-commands';
import { createWorkspace, type Workspace } from '../harness/workspace';

/** What a hostile-names test file works with (see hostileSetup). */
export interface HostileSetup {
  registry: Registry;
  ws: Workspace;
  /** docker and git, traced. */
  trace: CommandTrace;
  scratch: string;
  /** Where every payload tries to write: it must stay empty. */
  M: string;
  /** M as it reads inside a tag. */
  m: string;
  /** The temporary folder's and the workspace's files before any test. */
  tmpBefore: Set<string>;
  wsBefore: Set<string>;
}

export const DOCKER = '/usr/bin/docker';
export const REPO = 'fornax/images';

/**
 * For a hostile-names file (test/hardening/hostile-*.int.test.ts): a registry,
 * a workspace on main, docker and git traced, and the folder payloads aim at.
 * Registers the file's set-up and tear-down; the returned object is filled in
 * before its first test.
 */
export function hostileSetup(): HostileSetup {
  const setup = {} as HostileSetup;
  beforeAll(async () => {
    const [registry, ws] = await Promise.all([startRegistry(), createWorkspace({ branch: 'main' })]);
    const scratch = mkdtempSync(join(tmpdir(), 'fornax-hostile-scratch-'));
    const M = mkdtempSync(join(tmpdir(), 'fornax-hostile-'));
    const trace = traceCommands(scratch, { docker: DOCKER, git: (await ws.exec('sh', ['-c', 'command -v git'])).stdout.trim() });
    Object.assign(setup, { registry, ws, trace, scratch, M, m: M.slice(1).replace(/\//g, '-'), tmpBefore: new Set(readdirSync(tmpdir())), wsBefore: new Set(await workspaceFiles(ws)) });
  });
  afterAll(async () => {
    await setup.registry?.stop();
    setup.ws?.cleanup();
    for (const dir of [setup.scratch, setup.M]) if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return setup;
}

/** Every file of the workspace git does not ignore-and-skip, including ignored ones, relative paths. */
export async function workspaceFiles(ws: Workspace): Promise<string[]> {
  const out = await ws.git('status', '--porcelain', '--ignored', '--untracked-files=all');
  return out.split('\n').filter(Boolean).map((line) => line.slice(3));
}

/** No argument of any docker or git call may start with a value that arrived as a name. */
export function expectNoInjectedOption(calls: { command: string; args: string[] }[], value: string): void {
  const dash = value.split('\n').find((line) => line.startsWith('-'));
  if (!dash) return;
  for (const call of calls) for (const arg of call.args) expect(arg.startsWith(dash), `${call.command} ${arg}`).toBe(false);
}


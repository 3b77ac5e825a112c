import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ProjectLike } from '../core/graph/image-project';
import { run, type Command } from './exec';

/**
 * The Nx CLI of this workspace, run by this Node without a shell. Plugins
 * run in-process unless the caller's environment says otherwise: Nx's
 * plugin isolation starts a worker per plugin, which costs seconds per nx
 * process (docs/performance.md), and ours keeps no state between calls.
 */
export function nxCommand(args: string[], cwd: string, env: Record<string, string> = {}): Command {
  const nxBin = join(dirname(require.resolve('nx/package.json', { paths: [cwd] })), 'dist', 'bin', 'nx.js');
  const isolate = process.env.NX_ISOLATE_PLUGINS ?? 'false';
  return { command: process.execPath, args: [nxBin, ...args], cwd, env: { NX_DAEMON: 'false', NX_TUI: 'false', NX_ISOLATE_PLUGINS: isolate, ...env } };
}

/**
 * Every project of the workspace with its configuration (inferred targets
 * included). For the workspace this process runs in, the graph is computed
 * here, through Nx's own API, saving an nx process start (about 1 s of CPU)
 * per plan; for any other folder (a worktree of another commit) by
 * `nx graph --file` in that folder.
 */
export async function projectConfigurations(cwd: string): Promise<Record<string, ProjectLike>> {
  if (await isNxWorkspaceOfThisProcess(cwd)) return projectConfigurationsHere();
  const dir = await mkdtemp(join(tmpdir(), 'fornax-graph-'));
  try {
    const file = join(dir, 'graph.json');
    await run(nxCommand(['graph', `--file=${file}`], cwd));
    const graph = JSON.parse(await readFile(file, 'utf8')) as { graph?: { nodes?: Record<string, { data?: ProjectLike }> } };
    return Object.fromEntries(Object.entries(graph.graph?.nodes ?? {}).map(([name, node]) => [name, node.data ?? {}]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Nx takes its workspace root from the process's folder when first loaded: the graph can be computed here only for that folder. */
async function isNxWorkspaceOfThisProcess(cwd: string): Promise<boolean> {
  const here = await realpath(process.cwd()).catch(() => process.cwd());
  return here === (await realpath(cwd).catch(() => cwd)) && existsSync(join(cwd, 'nx.json'));
}

async function projectConfigurationsHere(): Promise<Record<string, ProjectLike>> {
  // As nxCommand runs it: no daemon, plugins in this process, unless the environment says otherwise.
  process.env.NX_DAEMON ??= 'false';
  process.env.NX_ISOLATE_PLUGINS ??= 'false';
  const { createProjectGraphAsync } = await import('@nx/devkit');
  const graph = await createProjectGraphAsync({ exitOnError: false });
  return Object.fromEntries(Object.entries(graph.nodes).map(([name, node]) => [name, node.data as ProjectLike]));
}

/**
 * Every project of the workspace as it was at `commit`: `nx graph` in a
 * throwaway worktree of that commit, with this checkout's node_modules. Only
 * asked for when a file that shapes the projects (nx.json, a project.json)
 * differs between that commit and HEAD.
 */
export async function projectConfigurationsAt(cwd: string, commit: string): Promise<Record<string, ProjectLike>> {
  const dir = await mkdtemp(join(tmpdir(), 'fornax-worktree-'));
  const tree = join(dir, 'tree');
  try {
    await run({ command: 'git', args: ['worktree', 'add', '--detach', '--quiet', '--end-of-options', tree, commit], cwd });
    const modules = join(cwd, 'node_modules');
    if (existsSync(modules)) await symlink(await realpath(modules), join(tree, 'node_modules'), 'dir');
    return await projectConfigurations(tree);
  } finally {
    await run({ command: 'git', args: ['worktree', 'remove', '--force', '--end-of-options', tree], cwd }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await run({ command: 'git', args: ['worktree', 'prune'], cwd }).catch(() => undefined);
  }
}

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

/** Every project of the workspace with its configuration, as `nx graph --file` writes it (inferred targets included). */
export async function projectConfigurations(cwd: string): Promise<Record<string, ProjectLike>> {
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

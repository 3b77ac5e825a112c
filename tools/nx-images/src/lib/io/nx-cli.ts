import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AffectedReason } from '../core/ci/ci-plan';
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
 * The `target` tasks Nx finds affected between two commits, with its own
 * explanation of each (`nx affected --explain`), keyed by project.
 */
export async function affectedWithReasons(
  cwd: string,
  target: string,
  base: string,
  head: string,
): Promise<Record<string, AffectedReason[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'fornax-affected-'));
  try {
    const file = join(dir, 'explain.json');
    await run(
      nxCommand(['affected', '-t', target, `--base=${base}`, `--head=${head}`, `--explain=${file}`], cwd, {
        NX_LEGACY_AFFECTED: 'false',
      }),
    );
    const explained = JSON.parse(await readFile(file, 'utf8')) as { affected?: Record<string, AffectedReason[]> };
    const byProject: Record<string, AffectedReason[]> = {};
    for (const [task, reasons] of Object.entries(explained.affected ?? {})) {
      const project = task.slice(0, task.lastIndexOf(':'));
      if (task.endsWith(`:${target}`)) byProject[project] = reasons;
    }
    return byProject;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

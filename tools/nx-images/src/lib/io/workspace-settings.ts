import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../core/errors';
import { isImagesPlugin, workspaceSettings } from '../core/graph/plugin-entry';
import { PLUGIN_NAME, type WorkspaceSettings } from '../core/graph/plugin-options';

/**
 * The plugin's workspace-wide options and default branch from the
 * workspace's nx.json, for the CI entry points (executors get them in their
 * targets' options): the plugin's entry whether it is registered by name or
 * by a path to its folder.
 */
export async function readWorkspaceSettings(cwd: string): Promise<WorkspaceSettings> {
  let text: string;
  try {
    text = await readFile(join(cwd, 'nx.json'), 'utf8');
  } catch {
    throw new UserError({ subject: 'nx.json', problem: `there is none in ${cwd}`, fix: 'run from the workspace root' });
  }
  let nxJson: Parameters<typeof workspaceSettings>[0];
  try {
    nxJson = JSON.parse(text) as Parameters<typeof workspaceSettings>[0];
  } catch {
    throw new UserError({ subject: 'nx.json', problem: 'not valid JSON', fix: 'fix it' });
  }
  return workspaceSettings(nxJson, (plugin) => isImagesPlugin(plugin) || packageNameAt(cwd, plugin) === PLUGIN_NAME);
}

/** The name in the package.json a plugin path leads to (its folder, or the nearest above a file in it, inside the workspace). */
function packageNameAt(cwd: string, plugin: string): string | undefined {
  if (!plugin.startsWith('.') && !isAbsolute(plugin)) return undefined;
  let dir = resolve(cwd, plugin);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  while (!relative(cwd, dir).startsWith('..')) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name;
      } catch {
        return undefined;
      }
    }
    if (dir === cwd || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
  return undefined;
}

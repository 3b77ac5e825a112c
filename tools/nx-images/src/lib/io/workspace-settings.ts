import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import { workspaceSettings, type WorkspaceSettings } from '../core/graph/plugin-options';

/** The plugin's options and default branch from the workspace's nx.json, for the CI entry points (executors get them from Nx). */
export async function readWorkspaceSettings(cwd: string): Promise<WorkspaceSettings> {
  let text: string;
  try {
    text = await readFile(join(cwd, 'nx.json'), 'utf8');
  } catch {
    throw new UserError(`no nx.json in ${cwd}: run from the workspace root.`);
  }
  try {
    return workspaceSettings(JSON.parse(text) as Parameters<typeof workspaceSettings>[0]);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError('nx.json is not valid JSON: fix it.');
  }
}

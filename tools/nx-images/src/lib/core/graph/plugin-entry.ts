import { posix } from 'node:path';
import { DEFAULT_BRANCH } from '../naming/conventions';
import { normalizePluginOptions, PLUGIN_NAME, type WorkspaceSettings } from './plugin-options';

interface NxJsonLike {
  defaultBase?: string;
  plugins?: readonly (string | { plugin: string; options?: unknown })[];
}

/**
 * Whether an nx.json plugin entry is this plugin, by its package name or by
 * a path to its folder (`./tools/nx-images`, or a file in it); the I/O layer
 * also asks the package.json the path leads to.
 */
export function isImagesPlugin(plugin: string): boolean {
  if (plugin === PLUGIN_NAME || plugin.startsWith(`${PLUGIN_NAME}/`)) return true;
  if (plugin.startsWith('@')) return false;
  const folder = posix
    .normalize(plugin.replace(/\\/g, '/'))
    .replace(/\/+$/, '')
    .replace(/\/(?:src\/)?(?:index|plugin)(?:\.[cm]?[jt]s)?$/, '');
  return folder === 'tools/nx-images' || folder.endsWith('/tools/nx-images');
}

/** The nx.json default branch: defaultBase, else main. */
export function defaultBranchOf(nxJson: Pick<NxJsonLike, 'defaultBase'> | undefined): string {
  return nxJson?.defaultBase?.trim() || DEFAULT_BRANCH;
}

/**
 * The plugin's options and the default branch, read from nx.json: the first
 * plugin entry that is ours (by name or by path, see isImagesPlugin; `isOurs`
 * may know more), for what is workspace-wide. Executors never call this:
 * their targets carry the settings (see target-settings.ts).
 */
export function workspaceSettings(nxJson: NxJsonLike | undefined, isOurs: (plugin: string) => boolean = isImagesPlugin): WorkspaceSettings {
  const entry = (nxJson?.plugins ?? []).find((plugin) => isOurs(typeof plugin === 'string' ? plugin : plugin.plugin));
  const options = typeof entry === 'object' ? entry.options : undefined;
  return withDefaultBranch(normalizePluginOptions(options), defaultBranchOf(nxJson));
}

/** The settings with the default branch, which is also the publish branch when none is named. */
export function withDefaultBranch(normalized: Omit<WorkspaceSettings, 'defaultBranch'>, defaultBranch: string): WorkspaceSettings {
  return { ...normalized, publishBranches: normalized.publishBranches.length > 0 ? normalized.publishBranches : [defaultBranch], defaultBranch };
}


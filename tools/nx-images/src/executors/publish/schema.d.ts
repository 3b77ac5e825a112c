import type { PublishSettings } from '../../lib/core/graph/target-settings';

export interface PublishExecutorSchema {
  tag?: string;
  extraTags?: string[];
  mirrors?: string[];
  notify?: 'always' | 'if-moved' | 'never';
  registry?: string;
  repository?: string;
  image?: string;
  variant?: string;
  dryRun?: boolean;
  /** Internal: nx.json's options as the plugin resolved them for this target (see core/graph/target-settings.ts). */
  settings?: PublishSettings;
}

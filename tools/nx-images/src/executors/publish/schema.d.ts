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
  /** Plumbing the plugin sets from nx.json's mirrors: used when mirrors is empty and IMAGE_MIRRORS unset. */
  pluginMirrors?: string[];
}

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
}

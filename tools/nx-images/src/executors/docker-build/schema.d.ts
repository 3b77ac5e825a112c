import type { BuildArgNames } from '../../lib/core/dockerfile/repository-images';

export interface DockerBuildExecutorSchema {
  image?: string;
  variant?: string;
  registry?: string;
  repository?: string;
  tag?: string;
  extraTags?: string[];
  /** Templates of the per-build tags (named `tags` as in nx.json; normalize calls them tagTemplates). */
  tags?: string[];
  buildArgTemplates?: Record<string, string>;
  buildTime?: string;
  context?: string;
  file?: string;
  target?: string;
  platforms?: string[];
  buildArgs?: Record<string, string | number | boolean>;
  cacheFrom?: string[];
  cacheTo?: string[];
  pull?: boolean;
  noCache?: boolean;
  builder?: string;
  secrets?: string[];
  push?: boolean;
  baseTagFallback?: string;
  forwardOnly?: boolean;
  registryCache?: boolean;
  test?: boolean;
  skipTests?: string;
  lockCommand?: string[];
  dryRun?: boolean;
  /** Plumbing the plugin sets from nx.json (see SettingsOptions in core/graph/plugin-options.ts). */
  buildArgNames?: Partial<BuildArgNames>;
  defaultBranch?: string;
  testTargetName?: string;
}

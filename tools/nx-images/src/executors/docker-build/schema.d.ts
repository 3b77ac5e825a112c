import type { BuildSettings } from '../../lib/core/graph/target-settings';

export interface DockerBuildExecutorSchema {
  image?: string;
  variant?: string;
  registry?: string;
  repository?: string;
  tag?: string;
  extraTags?: string[];
  /** This image's templates of the per-build tags (as nx.json's tagTemplates); unset: the settings'. */
  tagTemplates?: string[];
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
  /** Internal: push this one platform by digest only, no tag and no index (a fan-out platform job; its merge job writes the index). */
  digestOnly?: boolean;
  reuse?: boolean;
  registryCache?: boolean;
  test?: boolean;
  skipTests?: string;
  lockCommand?: string[];
  dryRun?: boolean;
  /** Internal: nx.json's options as the plugin resolved them for this target (see core/graph/target-settings.ts). */
  settings?: BuildSettings;
}

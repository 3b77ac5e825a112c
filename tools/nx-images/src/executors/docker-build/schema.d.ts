export interface DockerBuildExecutorSchema {
  image?: string;
  registry?: string;
  repository?: string;
  tag?: string;
  extraTags?: string[];
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
}

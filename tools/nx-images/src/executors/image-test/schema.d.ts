import type { BuildArgNames } from '../../lib/core/dockerfile/repository-images';

export interface ImageTestExecutorSchema {
  command?: string[];
  ancestors?: boolean;
  /** Where this image's tests are and how they run, in place of the plugin's tests option. */
  tests?: { path?: string; mount?: string; run?: 'image' | 'host'; command?: string[] };
  image?: string;
  /** Forwarded to docker-build, which runs first; unused here. */
  registry?: string;
  repository?: string;
  tag?: string;
  /** Plumbing the plugin sets from nx.json: the command in the image when neither command nor the rule gives one. */
  testCommand?: string[];
  buildArgNames?: Partial<BuildArgNames>;
}

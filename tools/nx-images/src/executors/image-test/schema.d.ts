import type { TestSettings } from '../../lib/core/graph/target-settings';

export interface ImageTestExecutorSchema {
  command?: string[];
  ancestors?: boolean;
  /** Where this image's tests are and how they run, in place of the plugin's tests option. */
  tests?: { path?: string | string[]; mount?: string; run?: 'image' | 'host'; command?: string[] };
  image?: string;
  /** Forwarded to docker-build, which runs first; unused here. */
  registry?: string;
  repository?: string;
  tag?: string;
  /** Internal: nx.json's options as the plugin resolved them for this target (see core/graph/target-settings.ts). */
  settings?: TestSettings;
}

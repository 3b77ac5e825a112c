export interface ImageTestExecutorSchema {
  command?: string[];
  ancestors?: boolean;
  image?: string;
  /** Forwarded to docker-build, which runs first; unused here. */
  registry?: string;
  repository?: string;
  tag?: string;
}

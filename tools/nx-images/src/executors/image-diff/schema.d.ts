/** Options of the `image-diff` executor. */
export interface ImageDiffExecutorSchema {
  /** The older side: a tag or a digest. */
  from?: string;
  /** The newer side: a tag or a digest; else the image's branch tag. */
  to?: string;
  /** Registry host; else IMAGE_REGISTRY, else ghcr.io. */
  registry?: string;
  /** owner/name; else IMAGE_REPOSITORY, GITHUB_REPOSITORY, or the origin remote. */
  repository?: string;
  /** Image name under the repository; else the project name. */
  image?: string;
  variant?: string;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
}

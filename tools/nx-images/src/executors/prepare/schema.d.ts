export interface CopyEntry {
  /** A file or folder of the workspace, relative to its root. */
  from: string;
  /** Where it goes, relative to the image's folder. */
  to: string;
}

export interface ExtractEntry {
  /** An image of this repository the image's docker-build depends on. */
  image: string;
  /** An absolute path inside that image. */
  path: string;
  /** Where it goes, relative to the image's folder. */
  to: string;
}

export interface PrepareExecutorSchema {
  copy?: CopyEntry[];
  extract?: ExtractEntry[];
  registry?: string;
  repository?: string;
  tag?: string;
  baseTagFallback?: string;
  push?: boolean;
  dryRun?: boolean;
}

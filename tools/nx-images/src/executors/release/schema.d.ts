/** Options of the `release` and `release-check` executors (the check gets the release's options forwarded). */
export interface ReleaseExecutorSchema {
  /** The tag to release, e.g. main. */
  sourceTag?: string;
  /** Tags to add: an array, or a comma-separated string. */
  tags?: string[] | string;
  /** Registry host; else IMAGE_REGISTRY, else ghcr.io. */
  registry?: string;
  /** owner/name; else IMAGE_REPOSITORY, GITHUB_REPOSITORY, or the origin remote. */
  repository?: string;
  /** Image name under the repository; else the project name. */
  image?: string;
  variant?: string;
  /** The release commit; else GITHUB_SHA, else HEAD. */
  commit?: string;
  /** Print what would be written, write nothing. */
  dryRun?: boolean;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Release an image with tests but no passing result attached. */
  allowUntested?: boolean;
  /** Release an image with no lock set attached. */
  allowMissingLocks?: boolean;
  /** How release versions are written and ordered for this run: semver, calver or pattern; else nx.json's versionScheme. */
  versionScheme?: '' | 'semver' | 'calver' | 'pattern';
  /** With versionScheme pattern (implied when given alone): the regular expression whose capture groups are the version's numbers. */
  versionPattern?: string;
  /** Plumbing the plugin sets from nx.json: the mirrors (IMAGE_MIRRORS overrides them), and the name of the test target. */
  mirrors?: string[];
  testTargetName?: string;
}

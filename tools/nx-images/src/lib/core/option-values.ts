/** How an option's value is read, the same in every executor. */

/** A string option or variable, trimmed; blank is the same as not given. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Whether this run writes nothing: its dryRun option, or NX_DRY_RUN=true (which `nx release publish --dry-run` sets for the executors it runs). */
export function isDryRun(option: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return option === true || env.NX_DRY_RUN === 'true';
}

export interface BuildStep {
  /** The step as BuildKit names it, e.g. `[3/4] RUN dd if=/dev/zero ...`. */
  name: string;
  cached: boolean;
  /** Seconds BuildKit reports for the step; undefined when cached or not reported. */
  seconds?: number;
}

/**
 * The Dockerfile steps of BuildKit's plain progress output (`#N [i/n] ...`,
 * then `#N CACHED` or `#N DONE 12.3s`, each line maybe after `<project>: `),
 * cache imports first, then in Dockerfile order; internal steps left out.
 * Cache imports (`#N importing cache manifest from <ref>`) are listed as steps too.
 */
export function buildSteps(log: string): BuildStep[] {
  const steps = new Map<string, BuildStep>();
  for (const raw of log.split('\n')) {
    // eslint-disable-next-line no-control-regex -- terminal colour codes, when a tool adds them
    const line = raw.replace(/\u001b\[[0-9;]*m/g, '').trim();
    // Nx's stream output style prefixes each line with "<project>: ".
    const match = /^(?:[\w.-]+: )?#(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const [, id, rest] = match as unknown as [string, string, string];
    const known = steps.get(id);
    if (!known) {
      if (/^\[(?:[\w.-]+ )?\d+\/\d+\] /.test(rest) || rest.startsWith('importing cache manifest from ')) {
        steps.set(id, { name: rest, cached: false });
      }
      continue;
    }
    if (rest === 'CACHED') known.cached = true;
    const done = /^DONE (\d+(?:\.\d+)?)s$/.exec(rest);
    if (done) known.seconds = Number(done[1]);
  }
  // Cache imports first, then Dockerfile order: BuildKit reports steps as they finish, not in order.
  const order = (step: BuildStep) => Number(/^\[(?:[\w.-]+ )?(\d+)\/\d+\]/.exec(step.name)?.[1] ?? 0);
  return [...steps.values()].sort((a, b) => order(a) - order(b));
}

import { UserError } from '../errors';
import { platformKey } from '../naming/platforms';

/**
 * The jobs of one level of a multi-platform fan-out: one per image and
 * platform, each on a runner of that platform (the `platformRunners`
 * mapping), packed several images a job when the level would exceed what
 * one GitHub matrix allows. Pure: the plan job prints and hands them on.
 */

/** GitHub's limit of jobs one matrix generates. */
export const MATRIX_LIMIT = 256;

/** Where each platform builds natively: GitHub's hosted runners. */
export const DEFAULT_PLATFORM_RUNNERS: Readonly<Record<string, string>> = { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' };

/** One image of a level and the platforms it builds for (empty: the default runner's own, one). */
export interface LevelImage {
  image: string;
  platforms: readonly string[];
}

/** One matrix entry: its images (one, unless packed), for one platform, on one runner. */
export interface PlatformJob {
  images: string[];
  /** Empty for an image of the runner's own platform (the default). */
  platform: string;
  runsOn: string;
}

export interface LevelJobs {
  jobs: PlatformJob[];
  /** Said in the plan when the level was packed; undefined when every image × platform has a job of its own. */
  packed?: string;
}

/** The runner of a platform; a platform with none is refused in one line naming the option. */
export function runnerFor(platform: string, runners: Readonly<Record<string, string>>): string {
  if (platform === '') return runners['linux/amd64'] ?? DEFAULT_PLATFORM_RUNNERS['linux/amd64'] ?? 'ubuntu-24.04';
  const found = Object.entries(runners).find(([key]) => platformKey(key) === platformKey(platform))?.[1];
  if (!found) {
    throw new UserError({
      subject: 'nx.json: @fornax/nx-images option platformRunners',
      problem: `no runner for ${platform}`,
      fix: `add one, e.g. { "${platform}": "<runs-on label>" } (it has ${Object.keys(runners).join(', ') || 'none'})`,
    });
  }
  return found;
}

/**
 * The level's jobs, images sorted, grouped by platform. Over `limit` entries,
 * each platform's images are packed into as few more per job as keeps the
 * whole level within the limit, and `packed` says how.
 */
export function levelJobs(level: number, images: readonly LevelImage[], runners: Readonly<Record<string, string>>, limit = MATRIX_LIMIT): LevelJobs {
  const byPlatform = new Map<string, string[]>();
  for (const { image, platforms } of [...images].sort((a, b) => a.image.localeCompare(b.image))) {
    for (const platform of platforms.length > 0 ? platforms : ['']) byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), image]);
  }
  const entries = [...byPlatform.values()].reduce((sum, list) => sum + list.length, 0);
  const perJob = entries > limit ? Math.ceil(entries / (limit - byPlatform.size + 1)) : 1;
  const jobs: PlatformJob[] = [];
  for (const [platform, list] of [...byPlatform].sort(([a], [b]) => a.localeCompare(b))) {
    const runsOn = runnerFor(platform, runners);
    for (let at = 0; at < list.length; at += perJob) jobs.push({ images: list.slice(at, at + perJob), platform, runsOn });
  }
  if (perJob === 1) return { jobs };
  return { jobs, packed: `level ${level}: ${entries} image × platform entries exceed GitHub's ${limit}-job matrix, so up to ${perJob} images of one platform share a job (${jobs.length} jobs)` };
}

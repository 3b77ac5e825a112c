import { UserError } from '../errors';
import { platformKey, platformSlug } from '../naming/platforms';

/**
 * The jobs of one level of a multi-platform fan-out: one per image and
 * platform, each on a runner of that platform (the `platformRunners`
 * mapping), packed several images a job when the level would exceed what
 * one GitHub matrix allows. Pure: the plan job prints and hands them on.
 */

/** GitHub's limit of jobs one matrix generates. */
export const MATRIX_LIMIT = 256;

/** The platform of the runner an image of no platforms option builds on. */
export const DEFAULT_PLATFORM = 'linux/amd64';

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
  /** Its images build for several platforms, this job one of them: it pushes by digest only, and the level's merge job writes each index. */
  part: boolean;
  /** What names the job's artifacts: the image alone for the one-platform job of one image (as a run without platforms always had), else the image, a count when packed, and the platform. */
  id: string;
}

/** The id of a job (see PlatformJob.id): a valid artifact name, never the same for two jobs of a run. */
export function jobId(images: readonly string[], platform: string, part: boolean): string {
  const [first = ''] = images;
  const packed = images.length > 1 ? `.x${images.length}` : '';
  return `${first}${packed}${part ? `-${platformSlug(platform)}` : ''}`;
}

export interface LevelJobs {
  jobs: PlatformJob[];
  /** Said in the plan when the level was packed; undefined when every image × platform has a job of its own. */
  packed?: string;
}

/** The runner of a platform; a platform with none is refused in one line naming the option. */
export function runnerFor(platform: string, runners: Readonly<Record<string, string>>): string {
  if (platform === '') return runners[DEFAULT_PLATFORM] ?? DEFAULT_PLATFORM_RUNNERS[DEFAULT_PLATFORM] ?? 'ubuntu-24.04';
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
  // An image of several platforms has a part per platform; a part never shares a job with a whole image, so a job either pushes by digest or tags.
  const groups = new Map<string, { platform: string; part: boolean; images: string[] }>();
  for (const { image, platforms } of [...images].sort((a, b) => a.image.localeCompare(b.image))) {
    const part = platforms.length > 1;
    for (const platform of platforms.length > 0 ? platforms : ['']) {
      const key = `${platform}\u0000${String(part)}`;
      const group = groups.get(key) ?? { platform, part, images: [] };
      group.images.push(image);
      groups.set(key, group);
    }
  }
  const entries = [...groups.values()].reduce((sum, group) => sum + group.images.length, 0);
  const perJob = entries > limit ? Math.ceil(entries / (limit - groups.size + 1)) : 1;
  const jobs: PlatformJob[] = [];
  for (const [, { platform, part, images: list }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const runsOn = runnerFor(platform, runners);
    for (let at = 0; at < list.length; at += perJob) {
      const packed = list.slice(at, at + perJob);
      jobs.push({ images: packed, platform, runsOn, part, id: jobId(packed, platform, part) });
    }
  }
  if (perJob === 1) return { jobs };
  return { jobs, packed: `level ${level}: ${entries} image × platform entries exceed GitHub's ${limit}-job matrix, so up to ${perJob} images of one platform share a job (${jobs.length} jobs)` };
}

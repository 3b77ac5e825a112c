import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { DEFAULT_PLATFORM_RUNNERS, jobId, levelJobs, MATRIX_LIMIT, runnerFor } from './platform-jobs';

const TWO = ['linux/amd64', 'linux/arm64'];

describe('levelJobs', () => {
  it('gives each image and platform a job of its own, on that platform\'s runner', () => {
    expect(levelJobs(1, [{ image: 'mid', platforms: TWO }, { image: 'leaf', platforms: ['linux/arm64'] }], DEFAULT_PLATFORM_RUNNERS)).toEqual({
      jobs: [
        { images: ['mid'], platform: 'linux/amd64', runsOn: 'ubuntu-24.04', part: true, id: 'mid-linux-amd64' },
        { images: ['leaf'], platform: 'linux/arm64', runsOn: 'ubuntu-24.04-arm', part: false, id: 'leaf' },
        { images: ['mid'], platform: 'linux/arm64', runsOn: 'ubuntu-24.04-arm', part: true, id: 'mid-linux-arm64' },
      ],
    });
  });

  it('keeps an image of the default platform on the amd64 runner, with no platform', () => {
    expect(levelJobs(1, [{ image: 'base_image', platforms: [] }], DEFAULT_PLATFORM_RUNNERS).jobs).toEqual([{ images: ['base_image'], platform: '', runsOn: 'ubuntu-24.04', part: false, id: 'base_image' }]);
  });

  it('takes the runner mapping as given, arm64/v8 as arm64', () => {
    expect(levelJobs(1, [{ image: 'a', platforms: ['linux/arm64/v8'] }], { 'linux/arm64': 'self-hosted-graviton' }).jobs).toEqual([{ images: ['a'], platform: 'linux/arm64/v8', runsOn: 'self-hosted-graviton', part: false, id: 'a' }]);
  });

  it.each<[string, number, number, number]>([
    ['exactly the limit', 128, MATRIX_LIMIT, 1],
    ['one more than the limit', 129, MATRIX_LIMIT, 2],
    ['the five-hundred-image graph', 500, MATRIX_LIMIT, 4],
    ['a small limit', 10, 6, 4],
  ])('packs %s so the level fits one matrix, and says so', (_case, count, limit, perJob) => {
    const images = Array.from({ length: count }, (_, index) => ({ image: `img-${String(index).padStart(3, '0')}`, platforms: TWO }));
    const { jobs, packed } = levelJobs(3, images, DEFAULT_PLATFORM_RUNNERS, limit);
    expect(jobs.length).toBeLessThanOrEqual(limit);
    expect(Math.max(...jobs.map((job) => job.images.length))).toBe(perJob);
    // Every image is built once for each platform, and a job never mixes platforms.
    for (const platform of TWO) expect(jobs.filter((job) => job.platform === platform).flatMap((job) => job.images)).toEqual(images.map((entry) => entry.image));
    // Every job's artifacts have a name of their own.
    expect(new Set(jobs.map((job) => job.id)).size).toBe(jobs.length);
    if (perJob === 1) expect(packed).toBeUndefined();
    else expect(packed).toBe(`level 3: ${count * 2} image × platform entries exceed GitHub's ${limit}-job matrix, so up to ${perJob} images of one platform share a job (${jobs.length} jobs)`);
  });
});

describe('jobId', () => {
  it.each<[string[], string, boolean, string]>([
    [['base_image'], '', false, 'base_image'],
    [['leaf'], 'linux/arm64', false, 'leaf'],
    [['mid'], 'linux/arm64/v8', true, 'mid-linux-arm64'],
    [['mid'], 'linux/arm/v7', true, 'mid-linux-arm-v7'],
    [['a', 'b', 'c'], 'linux/amd64', true, 'a.x3-linux-amd64'],
    [['a', 'b'], '', false, 'a.x2'],
  ])('%j on %j (a part: %s) is %s', (images, platform, part, id) => {
    expect(jobId(images, platform, part)).toBe(id);
  });
});

describe('runnerFor', () => {
  it('refuses a platform with no runner in one line naming the option', () => {
    const call = () => runnerFor('linux/s390x', DEFAULT_PLATFORM_RUNNERS);
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining({ subject: 'nx.json: @fornax/nx-images option platformRunners', problem: 'no runner for linux/s390x', fix: expect.stringContaining('linux/amd64, linux/arm64') as unknown as string }));
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { planReleaseRun, readReleaseContext, type ReleaseEnv } from './release-event';
import type { Problem } from '../errors';

const FIXTURES = join(__dirname, '../../../../test/fixtures/events');

function fixture(name: string): { env: Record<string, string>; event: unknown } {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(FIXTURES, `${name}.env`), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { env, event: JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) };
}

const SHA = '3f5c2b1a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a';
const PROMOTE_SHA = '5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d';

describe('release fixtures', () => {
  test.each([
    ['release-published', {}, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static']],
    [
      'release-prerelease',
      {},
      ['run-many', '--targets=release', '--tags=v0.2.0-rc.1', '--sourceTag=main', '--commit=7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b', '--outputStyle=static'],
    ],
    [
      'release-backport-branch',
      { RELEASE_ALLOW_ANY_BRANCH: 'true' },
      ['run-many', '--targets=release', '--tags=v0.0.9,stable', '--sourceTag=release-0.0.x', '--commit=1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c', '--outputStyle=static'],
    ],
    ['release-published', { RELEASE_DRY_RUN: 'true' }, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static', '--dryRun']],
    ['release-published', { RELEASE_ALLOW_UNTESTED: 'true' }, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static', '--allowUntested']],
    // The event JSON alone is enough when the workflow passes no RELEASE_* variables.
    ['release-published', { RELEASE_TAG: '', RELEASE_TARGET: '' }, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static']],
    ['release-published', { RELEASE_TARGET: 'refs/heads/main' }, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static']],
    // Fornax: develop's images promoted to the version, main and stable.
    ['release-promote', {}, ['run-many', '--targets=release', '--tags=26.0630,main,stable', '--sourceTag=develop', `--commit=${PROMOTE_SHA}`, '--outputStyle=static']],
    ['release-promote', { RELEASE_PROMOTE_TAGS: ' main , latest,,main,26.0630 ' }, ['run-many', '--targets=release', '--tags=26.0630,main,latest,stable', '--sourceTag=develop', `--commit=${PROMOTE_SHA}`, '--outputStyle=static']],
    ['release-promote', { RELEASE_PROMOTE_TAGS: '', RELEASE_SOURCE_TAG: ' ' }, ['run-many', '--targets=release', '--tags=26.0630,stable', '--sourceTag=main', `--commit=${PROMOTE_SHA}`, '--outputStyle=static']],
    ['release-published', { RELEASE_SOURCE_TAG: 'develop' }, ['run-many', '--targets=release', '--tags=v0.1.1,stable', '--sourceTag=develop', `--commit=${SHA}`, '--outputStyle=static']],
    // A prerelease gets its own tag only: the promoted tags stay with the last release.
    ['release-prerelease', { RELEASE_SOURCE_TAG: 'develop', RELEASE_PROMOTE_TAGS: 'main' }, ['run-many', '--targets=release', '--tags=v0.2.0-rc.1', '--sourceTag=develop', '--commit=7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b', '--outputStyle=static']],
    ['release-commit-target', { RELEASE_ALLOW_ANY_BRANCH: 'true', RELEASE_SOURCE_TAG: 'main' }, ['run-many', '--targets=release', '--tags=v0.1.2,stable', '--sourceTag=main', `--commit=${SHA}`, '--outputStyle=static']],
  ])('%s with %j -> nx %j', (name, extra, expected) => {
    const { env, event } = fixture(name);
    expect(planReleaseRun(readReleaseContext({ ...env, ...extra }, event)).nxArgs).toEqual(expected);
  });

  test('runs the release target by the name nx.json gives it (releaseTargetName)', () => {
    const { env, event } = fixture('release-published');
    expect(planReleaseRun(readReleaseContext({ ...env, RELEASE_SOURCE_TAG: 'develop' }, event), 'tag-release').nxArgs[1]).toBe('--targets=tag-release');
  });

  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  const CI = 'ci:release';
  const invalidTag = (subject: string, tag: string) => ({ subject, problem: `${JSON.stringify(tag)} is not a valid Docker tag` });
  test.each<[string, ReleaseEnv, Partial<Problem>]>([
    ['release-backport-branch', {}, { subject: CI, problem: like(/targets "release\/0\.0\.x", not the default branch "main"$/), fix: like(/RELEASE_ALLOW_ANY_BRANCH=true/) }],
    ['release-backport-branch', { RELEASE_ALLOW_ANY_BRANCH: 'no' }, { subject: CI, problem: like(/not the default branch/) }],
    ['release-commit-target', {}, { subject: CI, problem: like(/not the default branch/) }],
    ['release-commit-target', { RELEASE_ALLOW_ANY_BRANCH: 'true' }, { subject: CI, problem: like(/targets a commit, not a branch/), fix: 'cut the release from a branch, or set RELEASE_SOURCE_TAG' }],
    ['release-published', { GITHUB_SHA: '' }, { subject: CI, problem: 'GITHUB_SHA "" is not a commit sha' }],
    ['release-published', { GITHUB_SHA: 'main' }, { subject: CI, problem: 'GITHUB_SHA "main" is not a commit sha' }],
    ['release-published', { GITHUB_EVENT_NAME: 'push' }, { subject: CI, problem: 'event "push" is not a release' }],
    ['release-published', { RELEASE_TAG: 'v1 .0' }, invalidTag('release tag', 'v1 .0')],
    ['release-published', { RELEASE_TAG: '-v1' }, invalidTag('release tag', '-v1')],
    ['release-published', { RELEASE_TAG: `v${'1'.repeat(300)}` }, invalidTag('release tag', `v${'1'.repeat(300)}`)],
    ['release-published', { RELEASE_TAG: 'stable' }, { subject: CI, problem: 'a release may not be named "stable"' }],
    ['release-published', { RELEASE_TAG: 'v1#2' }, invalidTag('release tag', 'v1#2')],
    ['release-promote', { RELEASE_SOURCE_TAG: 'feature/x' }, invalidTag('ci:release: RELEASE_SOURCE_TAG', 'feature/x')],
    ['release-promote', { RELEASE_SOURCE_TAG: '26.0630' }, { subject: CI, problem: 'RELEASE_SOURCE_TAG 26.0630 is the release\'s own tag' }],
    ['release-promote', { RELEASE_PROMOTE_TAGS: 'main,stable' }, { subject: CI, problem: like(/^RELEASE_PROMOTE_TAGS names stable, which the release adds itself /), fix: 'remove it' }],
    ['release-promote', { RELEASE_PROMOTE_TAGS: 'main,develop' }, { subject: CI, problem: 'RELEASE_PROMOTE_TAGS names develop, the source tag, which a release never rewrites' }],
    ['release-promote', { RELEASE_PROMOTE_TAGS: 'main;latest' }, invalidTag('ci:release: RELEASE_PROMOTE_TAGS has tag', 'main;latest')],
    ['release-promote', { RELEASE_PROMOTE_TAGS: `main,-${'x'.repeat(300)}` }, invalidTag('ci:release: RELEASE_PROMOTE_TAGS has tag', `-${'x'.repeat(300)}`)],
  ])('%s with %j is refused', (name, extra, fields) => {
    const { env, event } = fixture(name);
    expect(() => planReleaseRun(readReleaseContext({ ...env, ...extra }, event))).toThrow(expect.objectContaining(fields));
  });

  test('a non-published action is refused', () => {
    const { env, event } = fixture('release-published');
    expect(() => readReleaseContext(env, { ...(event as object), action: 'created' })).toThrow(expect.objectContaining({ subject: CI, problem: 'release action "created" is not "published"' }));
  });

  test('no default branch anywhere is refused', () => {
    const { env } = fixture('release-published');
    expect(() => readReleaseContext(env, { action: 'published', release: { tag_name: 'v1.0.0', target_commitish: 'main' } })).toThrow(
      expect.objectContaining({ subject: CI, problem: 'the event names no default branch', fix: 'set DEFAULT_BRANCH from github.event.repository.default_branch' }),
    );
  });

  test('the summary of a promotion names the source and every tag', () => {
    const { env, event } = fixture('release-promote');
    expect(planReleaseRun(readReleaseContext(env, event)).summary).toBe(`release 26.0630: every image's develop (built from ${PROMOTE_SHA.slice(0, 12)}) gets 26.0630, main and stable`);
    const pre = fixture('release-prerelease');
    expect(planReleaseRun(readReleaseContext({ ...pre.env, RELEASE_PROMOTE_TAGS: 'main' }, pre.event)).summary).toMatch(/gets v0\.2\.0-rc\.1; a prerelease leaves main and stable alone$/);
  });

  test('the summary says a prerelease leaves stable alone', () => {
    const { env, event } = fixture('release-prerelease');
    expect(planReleaseRun(readReleaseContext(env, event)).summary).toMatch(/gets v0\.2\.0-rc\.1; a prerelease leaves stable alone/);
  });
});

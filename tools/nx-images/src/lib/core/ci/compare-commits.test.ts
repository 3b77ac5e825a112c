import { describe, expect, it } from 'vitest';
import { type CompareInput, chooseCompareCommits, eventFallbackCommit, type FallbackFacts, type ImageComparison, pushDecision, type PushFacts, type RevisionObservation } from './compare-commits';
import { type GithubContext } from '../github/github-event';

const REV = 'aaaaaaa' + '1'.repeat(33);
const OTHER = 'bbbbbbb' + '2'.repeat(33);
const MB = 'ccccccc' + '3'.repeat(33);
const BEFORE = 'ddddddd' + '4'.repeat(33);
const HEAD = 'eeeeeee' + '5'.repeat(33);

const present = (revision: string | undefined, isAncestor: boolean): RevisionObservation => ({ kind: 'present', revision, commit: revision, isAncestor, labels: {} });
const absent: RevisionObservation = { kind: 'absent' };
const unreadable: RevisionObservation = { kind: 'unreadable', reason: 'HTTP 503 from ghcr.io' };

/** One image through chooseCompareCommits, on a feature branch unless told otherwise. */
function one(observation: RevisionObservation, overrides: Partial<CompareInput> = {}): Omit<ImageComparison, 'image'> {
  const [result] = chooseCompareCommits({
    images: ['tractor'],
    observations: { tractor: observation },
    onDefaultBranch: false,
    defaultBranch: 'main',
    mergeBaseWithDefault: MB,
    eventFallback: { commit: BEFORE, reason: "push's before ddddddd" },
    ...overrides,
  });
  const { image, ...rest } = result;
  expect(image).toBe('tractor');
  return rest;
}

describe('chooseCompareCommits: one image per rule', () => {
  it.each<[string, RevisionObservation, Partial<CompareInput>, Omit<ImageComparison, 'image'>]>([
    ['tag built from an ancestor: that revision', present(REV, true), {}, { commit: REV, buildAnyway: false, reason: 'registry tag built from aaaaaaa' }],
    ['same on the default branch', present(REV, true), { onDefaultBranch: true }, { commit: REV, buildAnyway: false, reason: 'registry tag built from aaaaaaa' }],
    ['no tag yet: merge-base with the default branch', absent, {}, { commit: MB, buildAnyway: false, reason: 'no registry tag yet; merge-base with main ccccccc' }],
    ['no tag yet on the default branch: build it', absent, { onDefaultBranch: true }, { buildAnyway: true, reason: 'no registry tag yet; on main: building it' }],
    ['no tag yet, no merge-base: build it', absent, { mergeBaseWithDefault: undefined }, { buildAnyway: true, reason: 'no registry tag yet; no merge-base with main: building it' }],
    [
      'force push (revision not an ancestor): merge-base',
      present(REV, false),
      {},
      { commit: MB, buildAnyway: false, reason: 'registry tag built from aaaaaaa, not an ancestor of HEAD (force push?); merge-base with main ccccccc' },
    ],
    [
      'force push on the default branch: build it',
      present(REV, false),
      { onDefaultBranch: true },
      { buildAnyway: true, reason: 'registry tag built from aaaaaaa, not an ancestor of HEAD (force push?); on main: building it' },
    ],
    ['tag without a revision label: merge-base', present(undefined, false), {}, { commit: MB, buildAnyway: false, reason: 'registry tag has no revision label; merge-base with main ccccccc' }],
    [
      'a label that is not a commit is never a base, even if called an ancestor',
      present('--output=/tmp/x', true),
      {},
      { commit: MB, buildAnyway: false, reason: 'registry tag\'s revision label "--output=/tmp/x" is not a commit; merge-base with main ccccccc' },
    ],
    ['an abbreviated label is not trusted', present('aaaaaaa', true), {}, { commit: MB, buildAnyway: false, reason: 'registry tag\'s revision label "aaaaaaa" is not a commit; merge-base with main ccccccc' }],
    [
      'registry unreadable: the event fallback',
      unreadable,
      {},
      { commit: BEFORE, buildAnyway: false, reason: "registry unreadable (HTTP 503 from ghcr.io); push's before ddddddd" },
    ],
    [
      'registry unreadable and no fallback: build it, never "nothing changed"',
      unreadable,
      { eventFallback: { reason: 'new branch; no merge-base with main' } },
      { buildAnyway: true, reason: 'registry unreadable (HTTP 503 from ghcr.io); new branch; no merge-base with main: building it' },
    ],
    [
      'pull_request ignores the registry',
      present(REV, true),
      { eventOnly: true, eventFallback: { commit: MB, reason: "merge-base with the pull request's base main ccccccc" } },
      { commit: MB, buildAnyway: false, reason: "merge-base with the pull request's base main ccccccc" },
    ],
    [
      'pull_request without a merge-base builds',
      absent,
      { eventOnly: true, eventFallback: { reason: "no merge-base with the pull request's base main" } },
      { buildAnyway: true, reason: "no merge-base with the pull request's base main: building it" },
    ],
    ['reasons name "the default branch" when its name is not given', absent, { defaultBranch: undefined }, { commit: MB, buildAnyway: false, reason: 'no registry tag yet; merge-base with the default branch ccccccc' }],
  ])('%s', (_name, observation, overrides, expected) => {
    expect(one(observation, overrides)).toStrictEqual(expected);
  });
});

describe('chooseCompareCommits over several images', () => {
  it('keeps the order of images and decides each on its own observation', () => {
    const bases = chooseCompareCommits({
      images: ['base_image', 'tractor', 'third'],
      observations: { base_image: present(REV, true), tractor: absent, third: unreadable },
      onDefaultBranch: false,
      defaultBranch: 'main',
      mergeBaseWithDefault: MB,
      eventFallback: { commit: BEFORE, reason: "push's before ddddddd" },
    });
    expect(bases.map(({ image, commit, buildAnyway }) => [image, commit, buildAnyway])).toStrictEqual([
      ['base_image', REV, false],
      ['tractor', MB, false],
      ['third', BEFORE, false],
    ]);
  });

  it('an image with no observation is a caller bug, not a silent skip', () => {
    expect(() => chooseCompareCommits({ images: ['tractor'], observations: {}, onDefaultBranch: false, eventFallback: { reason: 'x' } })).toThrow(
      /no registry observation for image "tractor"/,
    );
  });

  it('no images, no bases', () => {
    expect(chooseCompareCommits({ images: [], observations: {}, onDefaultBranch: true, eventFallback: { reason: 'x' } })).toStrictEqual([]);
  });
});

const ctx = (overrides: Partial<GithubContext>): GithubContext => ({
  eventName: 'push',
  skipTestsAsked: false,
  rebuildAsked: false,
  refreshAsked: false,
  defaultBranch: 'main',
  branch: 'feature/x',
  sha: HEAD,
  created: false,
  forced: false,
  deleted: false,
  push: true,
  ...overrides,
});
const facts = (overrides: Partial<FallbackFacts> = {}): FallbackFacts => ({ beforeIsAncestor: true, mergeBase: MB, onDefaultBranch: false, ...overrides });

describe('eventFallbackCommit', () => {
  it.each<[string, GithubContext, FallbackFacts, { commit?: string; reason: string }]>([
    ['push: before, when an ancestor', ctx({ before: BEFORE }), facts(), { commit: BEFORE, reason: "push's before ddddddd" }],
    ['push on the default branch: before too', ctx({ before: BEFORE, branch: 'main' }), facts({ onDefaultBranch: true }), { commit: BEFORE, reason: "push's before ddddddd" }],
    [
      'force push (before not an ancestor): merge-base',
      ctx({ before: BEFORE, forced: true }),
      facts({ beforeIsAncestor: false }),
      { commit: MB, reason: "push's before ddddddd is not an ancestor of HEAD or not in the clone; merge-base with main ccccccc" },
    ],
    ['new branch (before all zeros): merge-base', ctx({ created: true }), facts(), { commit: MB, reason: 'new branch; merge-base with main ccccccc' }],
    ['before missing: merge-base', ctx({}), facts(), { commit: MB, reason: "push's before is missing; merge-base with main ccccccc" }],
    ['new branch without a merge-base: build anyway', ctx({ created: true }), facts({ mergeBase: undefined }), { reason: 'new branch; no merge-base with main' }],
    [
      'force push on the default branch: the merge-base is HEAD, so build anyway',
      ctx({ before: BEFORE, forced: true, branch: 'main' }),
      facts({ beforeIsAncestor: false, onDefaultBranch: true, mergeBase: HEAD }),
      { reason: "push's before ddddddd is not an ancestor of HEAD or not in the clone; on main the merge-base is HEAD itself" },
    ],
    ['a deleted branch has nothing to compare', ctx({ deleted: true, before: BEFORE }), facts(), { reason: 'the push deleted the branch' }],
    [
      'pull_request: merge-base with its base branch',
      ctx({ eventName: 'pull_request', push: false, pullRequest: { baseRef: 'release/1.x', headRepoIsFork: true } }),
      facts(),
      { commit: MB, reason: "merge-base with the pull request's base release/1.x ccccccc" },
    ],
    [
      'pull_request whose head is named like the default branch still uses the merge-base',
      ctx({ eventName: 'pull_request', branch: 'main', push: false, pullRequest: { baseRef: 'main', headRepoIsFork: true } }),
      facts({ onDefaultBranch: true }),
      { commit: MB, reason: "merge-base with the pull request's base main ccccccc" },
    ],
    [
      'pull_request without a merge-base',
      ctx({ eventName: 'pull_request', push: false, pullRequest: { baseRef: 'main', headRepoIsFork: false } }),
      facts({ mergeBase: undefined }),
      { reason: "no merge-base with the pull request's base main" },
    ],
    ['workflow_dispatch on a branch: merge-base', ctx({ eventName: 'workflow_dispatch' }), facts(), { commit: MB, reason: 'merge-base with main ccccccc' }],
    ['workflow_dispatch on the default branch: build anyway', ctx({ eventName: 'workflow_dispatch', branch: 'main' }), facts({ onDefaultBranch: true }), { reason: 'on main the merge-base is HEAD itself' }],
    ['local: merge-base with the default branch', ctx({ eventName: 'local', push: false, branch: undefined, defaultBranch: 'trunk' }), facts(), { commit: MB, reason: 'merge-base with trunk ccccccc' }],
    ['local: before is ignored outside push', ctx({ eventName: 'local', push: false, before: BEFORE }), facts(), { commit: MB, reason: 'merge-base with main ccccccc' }],
  ])('%s', (_name, context, given, expected) => {
    expect(eventFallbackCommit(context, given)).toStrictEqual(expected);
  });
});

describe('pushDecision: tags only move forward', () => {
  const REF = 'ghcr.io/fornax/images/tractor:feature-x';
  it.each<[string, string | undefined, boolean, PushFacts, boolean, string]>([
    ['no image yet', undefined, false, {}, true, `${REF} records no revision yet: pushing`],
    ['built from this very commit (a re-run)', HEAD, false, {}, true, `${REF} was built from this commit eeeeeee: replacing it`],
    ['same commit in upper case', HEAD.toUpperCase(), false, {}, true, `${REF} was built from this commit eeeeeee: replacing it`],
    ['built from an ancestor', REV, true, {}, true, `${REF} moves forward from aaaaaaa to eeeeeee`],
    [
      'a newer run already pushed',
      OTHER,
      false,
      {},
      false,
      `skipped the push: a newer run already pushed ${REF} from bbbbbbb, which is not an ancestor of eeeeeee`,
    ],
    [
      'not an ancestor, but this run is still the branch tip: stale history',
      OTHER,
      false,
      { stillBranchTip: true },
      true,
      `${REF} was built from bbbbbbb, no longer in the branch's history; eeeeeee is the branch tip: pushing`,
    ],
    ['not an ancestor, this run a force push', OTHER, false, { forced: true }, true, `${REF} was built from bbbbbbb, which this force push replaced: pushing eeeeeee`],
    ['not the tip any more and not forced: skip', OTHER, false, { stillBranchTip: false, forced: false }, false, `skipped the push: a newer run already pushed ${REF} from bbbbbbb, which is not an ancestor of eeeeeee`],
    ['a label that is not a sha is shown as is', 'not-a-sha', false, {}, false, `skipped the push: a newer run already pushed ${REF} from not-a-sha, which is not an ancestor of eeeeeee`],
  ])('%s', (_name, current, isAncestor, given, push, reason) => {
    expect(pushDecision(current, isAncestor, HEAD, REF, given)).toStrictEqual({ push, reason });
  });
});

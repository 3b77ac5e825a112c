import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../errors';
import { type GithubContext, type GithubEnv, isBranchName, readGithubContext, splitImages } from './github-event';

const FIXTURES = join(__dirname, '../../../../test/fixtures/events');
const SUMMARY = 'actions-runner/_work/_temp/_runner_file_commands/step_summary_3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const A = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8';
const B = 'e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98';
const C = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4';
const D = '3c363836cf4e16666669a25da280a1865c2d2874';
const MERGE_7 = '6b0d31c0d563223024da45691584643ac78c96e8';
const MERGE_12 = '516b9783fca517eecbd1d064da2d165310b19759';
const ZERO = '0'.repeat(40);
const FORK_HEAD = '58e6b3a414a1e090dfc6029add0f3555ccba127f';

/** A fixture pair as GitHub hands it to a step: the GITHUB_* variables and the parsed event file. */
function fixture(name: string): { env: GithubEnv; event: Record<string, unknown> } {
  return {
    env: parseEnv(readFileSync(join(FIXTURES, `${name}.env`), 'utf8')),
    event: JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>,
  };
}

const common = { repository: 'fornax/images', defaultBranch: 'main', stepSummaryPath: SUMMARY, skipTestsAsked: false, rebuildAsked: false, refreshAsked: false };
const quiet = { created: false, forced: false, deleted: false };

describe('readGithubContext over real-shaped event fixtures', () => {
  it.each<[string, GithubContext]>([
    ['push', { ...common, ...quiet, eventName: 'push', branch: 'main', sha: B, before: A, headMessage: 'base_image: add jq', push: true }],
    ['push-new-branch', { ...common, ...quiet, eventName: 'push', branch: 'feature/x', sha: C, created: true, headMessage: 'tractor: pin numpy', push: true }],
    ['push-force', { ...common, ...quiet, eventName: 'push', branch: 'feature/x', sha: D, before: C, forced: true, headMessage: 'tractor: pin numpy (rebased)', push: true }],
    ['push-delete', { ...common, ...quiet, eventName: 'push', branch: 'feature/x', before: D, deleted: true, push: true }],
    [
      'pull_request',
      {
        ...common,
        ...quiet,
        eventName: 'pull_request',
        branch: 'feature/x',
        sha: MERGE_7,
        pullRequest: { baseRef: 'main', baseSha: B, headSha: D, headRepoIsFork: false },
        push: false,
      },
    ],
    [
      'pull_request-fork',
      {
        ...common,
        ...quiet,
        eventName: 'pull_request',
        branch: 'patch-1',
        sha: MERGE_12,
        pullRequest: { baseRef: 'main', baseSha: B, headSha: FORK_HEAD, headRepoIsFork: true },
        push: false,
      },
    ],
    [
      'workflow_dispatch',
      { ...common, ...quiet, eventName: 'workflow_dispatch', branch: 'main', sha: B, dispatchImages: ['tractor', 'base_image'], push: true },
    ],
    ['workflow_dispatch-all', { ...common, ...quiet, eventName: 'workflow_dispatch', branch: 'feature/x', sha: D, push: true }],
    ['schedule', { ...common, ...quiet, eventName: 'schedule', branch: 'main', sha: D, push: true, refreshAsked: true }],
  ])('%s', (name, expected) => {
    const { env, event } = fixture(name);
    expect(readGithubContext(env, event)).toStrictEqual(expected);
  });
});

describe('readGithubContext on a laptop', () => {
  it.each<[string, GithubEnv, GithubContext]>([
    ['no variables at all', {}, { eventName: 'local', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: false, refreshAsked: false, ...quiet, push: false }],
    ['empty variables count as unset', { GITHUB_EVENT_NAME: '', GITHUB_SHA: '', IMAGES: '' }, { eventName: 'local', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: false, refreshAsked: false, ...quiet, push: false }],
    [
      'IMAGES picks images',
      { IMAGES: 'tractor' },
      { eventName: 'local', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: false, refreshAsked: false, ...quiet, dispatchImages: ['tractor'], push: false },
    ],
    ['REBUILD and REFRESH ask for them', { REBUILD: 'true', REFRESH: 'true' }, { eventName: 'local', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: true, refreshAsked: true, ...quiet, push: false }],
    ['anything but true asks for nothing', { REBUILD: 'yes', REFRESH: '1' }, { eventName: 'local', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: false, refreshAsked: false, ...quiet, push: false }],
    [
      'a GITHUB_REF on a branch names it',
      { GITHUB_REF: 'refs/heads/feature/y', GITHUB_REPOSITORY: 'Fornax/Images' },
      { eventName: 'local', repository: 'Fornax/Images', defaultBranch: 'main', skipTestsAsked: false, rebuildAsked: false, refreshAsked: false, branch: 'feature/y', ...quiet, push: false },
    ],
  ])('%s', (_name, env, expected) => {
    expect(readGithubContext(env, undefined)).toStrictEqual(expected);
  });
});

const REMOVE = Symbol('remove');
type Edit = [path: string, value: unknown];

/** A fixture with its event edited by dotted path (REMOVE deletes) and its environment overridden. */
function withEvent(name: string, edits: Edit[], envEdit: Record<string, string | undefined> = {}): GithubContext {
  const { env, event } = fixture(name);
  for (const [path, value] of edits) {
    const keys = path.split('.');
    const last = keys.pop()!;
    let parent: Record<string, unknown> = event;
    for (const key of keys) parent = parent[key] as Record<string, unknown>;
    if (value === REMOVE) Reflect.deleteProperty(parent, last);
    else parent[last] = value;
  }
  return readGithubContext({ ...env, ...envEdit }, event);
}

describe('readGithubContext details', () => {
  it.each<[string, () => GithubContext, Partial<GithubContext>]>([
    ['repository from the event when GITHUB_REPOSITORY is unset', () => withEvent('push', [], { GITHUB_REPOSITORY: undefined }), { repository: 'fornax/images' }],
    ['default branch from the event', () => withEvent('push', [['repository.default_branch', 'trunk']]), { defaultBranch: 'trunk' }],
    ['default branch main when the event has no repository', () => withEvent('push', [['repository', REMOVE]]), { defaultBranch: 'main' }],
    ['before all zeros means created even without "created"', () => withEvent('push', [['before', ZERO], ['created', REMOVE]]), { created: true, before: undefined }],
    ['before missing: undefined, the caller falls back to the merge-base', () => withEvent('push', [['before', REMOVE]]), { before: undefined, created: false }],
    ['before not a sha: undefined, never passed on', () => withEvent('push', [['before', '--upload-pack=touch']]), { before: undefined }],
    ['before upper-case hex is not what GitHub sends: undefined', () => withEvent('push', [['before', A.toUpperCase()]]), { before: undefined }],
    ['before a SHA-256 name', () => withEvent('push', [['before', 'a'.repeat(64)]]), { before: 'a'.repeat(64) }],
    ['push sha is the event\'s after, not GITHUB_SHA', () => withEvent('push', [], { GITHUB_SHA: C }), { sha: B }],
    ['push without after uses GITHUB_SHA', () => withEvent('push', [['after', REMOVE]], { GITHUB_SHA: C }), { sha: C }],
    ['branch from GITHUB_REF when GITHUB_REF_NAME is unset', () => withEvent('push', [], { GITHUB_REF_NAME: undefined }), { branch: 'main' }],
    ['a tag push names no branch', () => withEvent('push', [['ref', 'refs/tags/v1.0.0']], { GITHUB_REF: 'refs/tags/v1.0.0', GITHUB_REF_NAME: 'v1.0.0' }), { branch: undefined }],
    ['a branch name with shell characters passes through as data', () => withEvent('push', [['ref', 'refs/heads/x$(id);#1']], { GITHUB_REF_NAME: 'x$(id);#1' }), { branch: 'x$(id);#1' }],
    ['a unicode branch passes through', () => withEvent('push', [['ref', 'refs/heads/ünï/cødé']], { GITHUB_REF_NAME: 'ünï/cødé' }), { branch: 'ünï/cødé' }],
    ['pull_request head branch from the event when GITHUB_HEAD_REF is unset', () => withEvent('pull_request', [], { GITHUB_HEAD_REF: undefined, GITHUB_BASE_REF: undefined }), { branch: 'feature/x' }],
    ['pull_request from a deleted fork (head.repo null) is a fork', () => withEvent('pull_request', [['pull_request.head.repo', null]]), { pullRequest: { baseRef: 'main', baseSha: B, headSha: D, headRepoIsFork: true } }],
    ['pull_request repo names compared case-insensitively', () => withEvent('pull_request', [['pull_request.head.repo.full_name', 'Fornax/Images']]), { pullRequest: { baseRef: 'main', baseSha: B, headSha: D, headRepoIsFork: false } }],
    ['pull_request without repo names falls back to head.repo.fork', () => withEvent('pull_request-fork', [['pull_request.head.repo.full_name', REMOVE], ['pull_request.base.repo', REMOVE]]), { pullRequest: { baseRef: 'main', baseSha: B, headSha: FORK_HEAD, headRepoIsFork: true } }],
    ['pull_request sha falls back to head.sha', () => withEvent('pull_request', [], { GITHUB_SHA: undefined }), { sha: D }],
    ['dispatch images split on commas and whitespace, deduplicated', () => withEvent('workflow_dispatch', [['inputs.images', ' tractor,,base_image\n\ttractor ']]), { dispatchImages: ['tractor', 'base_image'] }],
    ['dispatch images of separators only mean all', () => withEvent('workflow_dispatch', [['inputs.images', ' , ']]), { dispatchImages: undefined }],
    ['dispatch without inputs reads IMAGES', () => withEvent('workflow_dispatch', [['inputs', REMOVE]], { IMAGES: 'base_image' }), { dispatchImages: ['base_image'] }],
    ['dispatch with null inputs means all', () => withEvent('workflow_dispatch', [['inputs', null]]), { dispatchImages: undefined }],
    ['SKIP_TESTS=true asks to skip the tests', () => withEvent('workflow_dispatch', [], { SKIP_TESTS: 'true' }), { skipTestsAsked: true }],
    ['SKIP_TESTS anything else does not', () => withEvent('push', [], { SKIP_TESTS: 'false' }), { skipTestsAsked: false }],
    ['no GITHUB_STEP_SUMMARY, no summary path', () => withEvent('push', [], { GITHUB_STEP_SUMMARY: '' }), { stepSummaryPath: undefined }],
  ])('%s', (_name, read, expected) => {
    const actual = read();
    const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, actual[key as keyof GithubContext]]));
    expect(picked).toEqual(expected);
  });
});

describe('readGithubContext refuses bad input with one clear line', () => {
  const has = (text: string) => expect.stringContaining(text) as unknown as string;
  const GITHUB_WROTE = 'point GITHUB_EVENT_PATH at the event JSON file GitHub wrote';
  const NOT_A_SHA = { problem: has('is not a commit SHA'), fix: 'give 40 or 64 lower-case hex digits' };
  it.each<[string, () => unknown, Partial<Problem>]>([
    ['an event the build does not handle', () => readGithubContext({ GITHUB_EVENT_NAME: 'release' }, {}), { subject: 'GITHUB_EVENT_NAME', problem: '"release" is not an event the image build handles', fix: has('trigger it on push, pull_request, workflow_dispatch') }],
    ['an event without a payload', () => readGithubContext({ GITHUB_EVENT_NAME: 'push' }, undefined), { subject: 'the push event', problem: 'no payload', fix: has('set GITHUB_EVENT_PATH') }],
    ['a payload that is not an object', () => readGithubContext({ GITHUB_EVENT_NAME: 'push' }, [1, 2]), { subject: 'the push event', problem: 'its payload is not a JSON object', fix: GITHUB_WROTE }],
    ['push after not hex', () => withEvent('push', [['after', 'HEAD~1']]), { subject: 'push event "after" (or GITHUB_SHA)', ...NOT_A_SHA, problem: '"HEAD~1" is not a commit SHA' }],
    ['push after short', () => withEvent('push', [['after', B.slice(0, 12)]]), NOT_A_SHA],
    ['push after all zeros on a push that deleted nothing', () => withEvent('push', [['after', ZERO]]), NOT_A_SHA],
    ['push after a number', () => withEvent('push', [['after', 42]]), { subject: 'the push event', problem: 'its "after" is not a string', fix: GITHUB_WROTE }],
    ['push with no sha at all', () => withEvent('push', [['after', REMOVE]], { GITHUB_SHA: undefined }), { subject: 'push event "after" (or GITHUB_SHA)', problem: 'null is not a commit SHA' }],
    ['push forced not a boolean', () => withEvent('push', [['forced', 'true']]), { subject: 'the push event', problem: 'its "forced" is "true", not true or false' }],
    ['branch starting with "-"', () => withEvent('push', [['ref', 'refs/heads/--force']], { GITHUB_REF_NAME: '--force' }), { subject: 'branch (GITHUB_REF_NAME)', problem: '"--force" is not a valid git branch name', fix: 'check the event that started this run' }],
    ['branch with ".."', () => withEvent('push', [], { GITHUB_REF_NAME: 'a/../b' }), { problem: '"a/../b" is not a valid git branch name' }],
    ['default branch with a space', () => withEvent('push', [['repository.default_branch', 'ma in']]), { subject: 'repository.default_branch', problem: '"ma in" is not a valid git branch name' }],
    ['repository not owner/name', () => withEvent('push', [], { GITHUB_REPOSITORY: 'images' }), { subject: 'repository', problem: '"images" is not owner/name', fix: has('set GITHUB_REPOSITORY') }],
    ['GITHUB_SHA not hex on pull_request', () => withEvent('pull_request', [], { GITHUB_SHA: 'refs/pull/7/merge' }), { subject: 'GITHUB_SHA', problem: '"refs/pull/7/merge" is not a commit SHA' }],
    ['pull_request base sha not hex', () => withEvent('pull_request', [['pull_request.base.sha', 'main']]), { subject: 'pull_request.base.sha', problem: '"main" is not a commit SHA' }],
    ['pull_request without pull_request', () => withEvent('pull_request', [['pull_request', REMOVE]]), { subject: 'the pull_request event', problem: 'no "pull_request" object', fix: GITHUB_WROTE }],
    ['pull_request without head branch', () => withEvent('pull_request', [['pull_request.head.ref', REMOVE]], { GITHUB_HEAD_REF: '' }), { problem: 'no head branch', fix: has('set GITHUB_HEAD_REF') }],
    ['pull_request without base branch', () => withEvent('pull_request', [['pull_request.base.ref', REMOVE]], { GITHUB_BASE_REF: '' }), { problem: 'no base branch', fix: has('set GITHUB_BASE_REF') }],
    ['pull_request base branch with a colon', () => withEvent('pull_request', [], { GITHUB_BASE_REF: 'a:b' }), { subject: 'pull request base branch (GITHUB_BASE_REF)', problem: '"a:b" is not a valid git branch name' }],
    ['dispatch images input not a string', () => withEvent('workflow_dispatch', [['inputs.images', ['tractor']]]), { subject: 'workflow_dispatch input "images"', problem: 'not a string', fix: has('declare it as `type: string`') }],
    ['dispatch inputs not an object', () => withEvent('workflow_dispatch', [['inputs', 'tractor']]), { subject: 'the workflow_dispatch event', problem: 'its "inputs" is not an object' }],
    ['dispatch image name that looks like an option', () => withEvent('workflow_dispatch', [['inputs.images', 'tractor,--all']]), { subject: 'workflow_dispatch input "images"', problem: '"--all" is not an image name' }],
    ['local IMAGES with a path', () => readGithubContext({ IMAGES: '../etc' }, undefined), { subject: 'IMAGES', problem: '"../etc" is not an image name', fix: has('e.g. base_image,tractor') }],
  ])('%s', (_name, read, fields) => {
    expect(read).toThrow(UserError);
    expect(read).toThrow(expect.objectContaining(fields));
    expect(read).toThrow(/^[^\n]+\.$/);
  });
});

describe('isBranchName', () => {
  it.each([
    ['main', true],
    ['feature/x', true],
    ['release/v1.2.3', true],
    ['x$(id);#1', true],
    ['ünïcødé', true],
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
    ['', false],
    ['@', false],
    ['-x', false],
    ['--output=/tmp/x', false],
    ['/x', false],
    ['x/', false],
    ['x.', false],
    ['.x', false],
    ['a/.x', false],
    ['a..b', false],
    ['a//b', false],
    ['x.lock', false],
    ['a/x.lock/b', false],
    ['a@{1}', false],
    ['a b', false],
    ['a\tb', false],
    ['a\nb', false],
    ['a~1', false],
    ['a^', false],
    ['a:b', false],
    ['a?', false],
    ['a*', false],
    ['a[b', false],
    ['a\\b', false],
    ['a\x7fb', false],
  ])('%j -> %s', (name, ok) => {
    expect(isBranchName(name)).toBe(ok);
  });
});

describe('splitImages', () => {
  it.each<[string | undefined, string[] | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['  \n', undefined],
    ['tractor', ['tractor']],
    ['tractor,base_image', ['tractor', 'base_image']],
    ['tractor base_image', ['tractor', 'base_image']],
    ['a,a,a', ['a']],
    ['my-image.v2', ['my-image.v2']],
  ])('%j -> %j', (text, names) => {
    expect(splitImages(text)).toStrictEqual(names);
  });

  it.each([['-x'], ['.x'], ['a/b'], ['a;b'], ['ünï'], ['a__'], ['$(id)']])('%j is refused', (text) => {
    expect(() => splitImages(text, 'IMAGES')).toThrow(expect.objectContaining({ subject: 'IMAGES', problem: expect.stringMatching(/ is not an image name$/) as unknown as string }));
  });
});

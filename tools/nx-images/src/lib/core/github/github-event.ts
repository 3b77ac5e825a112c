import { DEFAULT_BRANCH, isFullSha } from '../naming/conventions';
import { UserError } from '../errors';

/** The fix for an event payload that is not what GitHub writes. */
const GITHUB_WROTE = 'point GITHUB_EVENT_PATH at the event JSON file GitHub wrote';

/**
 * What one CI run is about, read from the GitHub environment and the event
 * payload. Pure: the caller reads GITHUB_EVENT_PATH and passes the parsed JSON
 * (undefined when there is no event file, i.e. a laptop).
 */
export interface GithubContext {
  /** GITHUB_EVENT_NAME, or 'local' when absent. */
  eventName: string;
  /** `owner/name`: GITHUB_REPOSITORY, else event.repository.full_name. */
  repository?: string;
  /** event.repository.default_branch, else 'main'. */
  defaultBranch: string;
  /** The branch whose name becomes the tag; undefined locally and for tags. */
  branch?: string;
  /** The commit this run builds: push's `after`, else GITHUB_SHA. */
  sha?: string;
  /** push's `before`; undefined when all zeros, absent or not a commit name. */
  before?: string;
  /** The push created the branch (`created`, or `before` all zeros). */
  created: boolean;
  /** The push was a force push. */
  forced: boolean;
  /** The push deleted the branch: nothing to build. */
  deleted: boolean;
  pullRequest?: { baseRef: string; baseSha?: string; headSha?: string; headRepoIsFork: boolean };
  /** workflow_dispatch's `images` input, split; undefined = all images. */
  dispatchImages?: string[];
  /** The pushed head commit's message (push's head_commit.message). */
  headMessage?: string;
  /** The tests are to be skipped: SKIP_TESTS=true (the workflow_dispatch input skip-tests, or a laptop). */
  skipTestsAsked: boolean;
  /** Every image is to be built, none reused: REBUILD=true (the workflow_dispatch input rebuild, or a laptop). */
  rebuildAsked: boolean;
  /** The run rebuilds what moved outside bases make stale: the schedule event, or REFRESH=true (the workflow_dispatch input refresh). */
  refreshAsked: boolean;
  /** Whether this run pushes images: push and workflow_dispatch do, pull_request and local do not. */
  push: boolean;
  /** GITHUB_STEP_SUMMARY. */
  stepSummaryPath?: string;
}

export type GithubEnv = Readonly<Record<string, string | undefined>>;

export const SUPPORTED_EVENTS = ['push', 'pull_request', 'workflow_dispatch', 'schedule', 'local'] as const;

const ZERO_SHA = /^0+$/;
/** GitHub's owner/name grammar. */
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
/** Image project names, as refs.ts's PATH_COMPONENT but case-insensitive: the caller matches them against Nx. */
const IMAGE_NAME = /^[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*$/;

export function isZeroSha(value: string): boolean {
  return ZERO_SHA.test(value);
}

/**
 * git check-ref-format's rules for one branch name, plus no leading "-", so a
 * name can never be read as an option even where `--end-of-options` is missing.
 */
export function isBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.length > 255) return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  return name.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/** Reads the GitHub environment and event payload into a typed, checked context. */
export function readGithubContext(env: GithubEnv, event: unknown): GithubContext {
  const eventName = value(env, 'GITHUB_EVENT_NAME') ?? 'local';
  if (!(SUPPORTED_EVENTS as readonly string[]).includes(eventName)) {
    throw new UserError({
      subject: 'GITHUB_EVENT_NAME',
      problem: `${JSON.stringify(eventName)} is not an event the image build handles`,
      fix: `trigger it on ${SUPPORTED_EVENTS.filter((e) => e !== 'local').join(', ')}, or unset GITHUB_EVENT_NAME to run locally`,
    });
  }
  const payload = readPayload(eventName, event);
  const stepSummaryPath = value(env, 'GITHUB_STEP_SUMMARY');
  const base = {
    eventName,
    ...optional('repository', readRepository(env, payload)),
    defaultBranch: readDefaultBranch(payload),
    ...optional('stepSummaryPath', stepSummaryPath),
    skipTestsAsked: value(env, 'SKIP_TESTS') === 'true',
    rebuildAsked: value(env, 'REBUILD') === 'true',
    refreshAsked: eventName === 'schedule' || value(env, 'REFRESH') === 'true',
  };
  switch (eventName) {
    case 'push':
      return { ...base, ...readPush(env, payload) };
    case 'pull_request':
      return { ...base, ...readPullRequest(env, payload) };
    case 'workflow_dispatch':
      return { ...base, ...readDispatch(env, payload) };
    case 'schedule':
      return { ...base, ...readSchedule(env) };
    default:
      return { ...base, ...readLocal(env) };
  }
}

type Payload = Record<string, unknown>;
type EventFields = Omit<GithubContext, 'eventName' | 'repository' | 'defaultBranch' | 'stepSummaryPath' | 'skipTestsAsked' | 'rebuildAsked' | 'refreshAsked'>;

function readPayload(eventName: string, event: unknown): Payload {
  if (event === undefined || event === null) {
    if (eventName === 'local') return {};
    throw new UserError({
      subject: `the ${eventName} event`,
      problem: 'no payload',
      fix: 'set GITHUB_EVENT_PATH to the event JSON file (GitHub Actions sets it), or unset GITHUB_EVENT_NAME to run locally',
    });
  }
  if (!isRecord(event)) {
    throw new UserError({ subject: `the ${eventName} event`, problem: 'its payload is not a JSON object', fix: GITHUB_WROTE });
  }
  return event;
}

function readPush(env: GithubEnv, payload: Payload): EventFields {
  const deleted = flag(payload, 'deleted', 'push');
  const after = stringField(payload, ['after'], 'push');
  const beforeRaw = stringField(payload, ['before'], 'push');
  const before = typeof beforeRaw === 'string' && isFullSha(beforeRaw) && !isZeroSha(beforeRaw) ? beforeRaw : undefined;
  const ref = stringField(payload, ['ref'], 'push') ?? value(env, 'GITHUB_REF');
  // A deleted branch has no commit to build: its `after` is all zeros.
  const sha = deleted ? undefined : requiredSha(after ?? value(env, 'GITHUB_SHA'), 'push event "after" (or GITHUB_SHA)');
  return {
    ...optional('branch', branchFromRef(env, ref)),
    ...optional('sha', sha),
    ...optional('before', before),
    ...optional('headMessage', stringField(payload, ['head_commit', 'message'], 'push')),
    created: flag(payload, 'created', 'push') || (typeof beforeRaw === 'string' && isZeroSha(beforeRaw)),
    forced: flag(payload, 'forced', 'push'),
    deleted,
    push: true,
  };
}

function readPullRequest(env: GithubEnv, payload: Payload): EventFields {
  const pr = payload['pull_request'];
  if (!isRecord(pr)) {
    throw new UserError({ subject: 'the pull_request event', problem: 'no "pull_request" object', fix: GITHUB_WROTE });
  }
  const headRef = value(env, 'GITHUB_HEAD_REF') ?? stringField(pr, ['head', 'ref'], 'pull_request');
  const baseRef = value(env, 'GITHUB_BASE_REF') ?? stringField(pr, ['base', 'ref'], 'pull_request');
  if (headRef === undefined) {
    throw new UserError({ subject: 'the pull_request event', problem: 'no head branch', fix: 'set GITHUB_HEAD_REF or pull_request.head.ref' });
  }
  if (baseRef === undefined) {
    throw new UserError({ subject: 'the pull_request event', problem: 'no base branch', fix: 'set GITHUB_BASE_REF or pull_request.base.ref' });
  }
  const baseSha = stringField(pr, ['base', 'sha'], 'pull_request');
  const headSha = stringField(pr, ['head', 'sha'], 'pull_request');
  return {
    branch: checkBranch(headRef, 'pull request head branch (GITHUB_HEAD_REF)'),
    ...optional('sha', optionalSha(env, 'GITHUB_SHA', stringField(pr, ['head', 'sha'], 'pull_request'))),
    created: false,
    forced: false,
    deleted: false,
    pullRequest: {
      baseRef: checkBranch(baseRef, 'pull request base branch (GITHUB_BASE_REF)'),
      ...optional('baseSha', baseSha === undefined ? undefined : requiredSha(baseSha, 'pull_request.base.sha')),
      ...optional('headSha', headSha === undefined ? undefined : requiredSha(headSha, 'pull_request.head.sha')),
      headRepoIsFork: headRepoIsFork(pr),
    },
    push: false,
  };
}

function readDispatch(env: GithubEnv, payload: Payload): EventFields {
  const inputs = payload['inputs'];
  if (inputs !== undefined && inputs !== null && !isRecord(inputs)) {
    throw new UserError({ subject: 'the workflow_dispatch event', problem: 'its "inputs" is not an object', fix: GITHUB_WROTE });
  }
  const images = isRecord(inputs) ? inputs['images'] : undefined;
  if (images !== undefined && images !== null && typeof images !== 'string') {
    throw new UserError({ subject: 'workflow_dispatch input "images"', problem: 'not a string', fix: 'declare it as `type: string` in the workflow' });
  }
  const ref = stringField(payload, ['ref'], 'workflow_dispatch') ?? value(env, 'GITHUB_REF');
  return {
    ...optional('branch', branchFromRef(env, ref)),
    ...optional('sha', optionalSha(env, 'GITHUB_SHA', undefined)),
    ...optional('dispatchImages', splitImages(typeof images === 'string' ? images : value(env, 'IMAGES'), 'workflow_dispatch input "images"')),
    created: false,
    forced: false,
    deleted: false,
    push: true,
  };
}

/** A scheduled run: on the default branch (GITHUB_REF), at its tip (GITHUB_SHA); it pushes what it rebuilds. */
function readSchedule(env: GithubEnv): EventFields {
  return {
    ...optional('branch', branchFromRef(env, value(env, 'GITHUB_REF'))),
    ...optional('sha', optionalSha(env, 'GITHUB_SHA', undefined)),
    created: false,
    forced: false,
    deleted: false,
    push: true,
  };
}

function readLocal(env: GithubEnv): EventFields {
  return {
    ...optional('branch', branchFromRef(env, value(env, 'GITHUB_REF'))),
    ...optional('sha', optionalSha(env, 'GITHUB_SHA', undefined)),
    ...optional('dispatchImages', splitImages(value(env, 'IMAGES'), 'IMAGES')),
    created: false,
    forced: false,
    deleted: false,
    push: false,
  };
}

/** Splits a list of image names on commas and whitespace; empty means all images. */
export function splitImages(text: string | undefined, what = 'images'): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(/[\s,]+/).filter((name) => name !== '');
  for (const name of names) {
    if (!IMAGE_NAME.test(name)) {
      throw new UserError({
        subject: what,
        problem: `${JSON.stringify(name)} is not an image name`,
        fix: 'list image project names separated by commas, e.g. base_image,tractor, or leave it empty for all',
      });
    }
  }
  return names.length === 0 ? undefined : [...new Set(names)];
}

/** The branch of a `refs/heads/*` ref; undefined for tags, pull refs and no ref. */
function branchFromRef(env: GithubEnv, ref: string | undefined): string | undefined {
  if (ref === undefined || !ref.startsWith('refs/heads/')) return undefined;
  const name = value(env, 'GITHUB_REF_NAME') ?? ref.slice('refs/heads/'.length);
  return checkBranch(name, 'branch (GITHUB_REF_NAME)');
}

function checkBranch(name: string, what: string): string {
  if (!isBranchName(name)) {
    throw new UserError({ subject: what, problem: `${JSON.stringify(name)} is not a valid git branch name`, fix: 'check the event that started this run' });
  }
  return name;
}

function readRepository(env: GithubEnv, payload: Payload): string | undefined {
  const repository = value(env, 'GITHUB_REPOSITORY') ?? stringField(payload, ['repository', 'full_name'], 'repository');
  if (repository !== undefined && !REPOSITORY.test(repository)) {
    throw new UserError({ subject: 'repository', problem: `${JSON.stringify(repository)} is not owner/name`, fix: 'set GITHUB_REPOSITORY to e.g. fornax/images' });
  }
  return repository;
}

function readDefaultBranch(payload: Payload): string {
  const name = stringField(payload, ['repository', 'default_branch'], 'repository');
  return name === undefined ? DEFAULT_BRANCH : checkBranch(name, 'repository.default_branch');
}

/** A fork's head repository differs from the base one; a deleted fork has no head repository at all. */
function headRepoIsFork(pr: Payload): boolean {
  const head = path(pr, ['head', 'repo']);
  if (head === null) return true;
  const headName = stringField(pr, ['head', 'repo', 'full_name'], 'pull_request');
  const baseName = stringField(pr, ['base', 'repo', 'full_name'], 'pull_request');
  if (headName !== undefined && baseName !== undefined) return headName.toLowerCase() !== baseName.toLowerCase();
  return path(pr, ['head', 'repo', 'fork']) === true;
}

function requiredSha(sha: unknown, what: string): string {
  if (typeof sha !== 'string' || !isFullSha(sha) || isZeroSha(sha)) {
    throw new UserError({ subject: what, problem: `${JSON.stringify(sha ?? null)} is not a commit SHA`, fix: 'give 40 or 64 lower-case hex digits' });
  }
  return sha;
}

function optionalSha(env: GithubEnv, name: string, fallback: string | undefined): string | undefined {
  const sha = value(env, name) ?? fallback;
  return sha === undefined ? undefined : requiredSha(sha, name);
}

function value(env: GithubEnv, name: string): string | undefined {
  const text = env[name];
  return text === undefined || text === '' ? undefined : text;
}

function flag(payload: Payload, name: string, event: string): boolean {
  const raw = payload[name];
  if (raw === undefined || raw === null) return false;
  if (typeof raw !== 'boolean') {
    throw new UserError({ subject: `the ${event} event`, problem: `its "${name}" is ${JSON.stringify(raw)}, not true or false`, fix: GITHUB_WROTE });
  }
  return raw;
}

function stringField(payload: Payload, keys: string[], event: string): string | undefined {
  const raw = path(payload, keys);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') {
    throw new UserError({ subject: `the ${event} event`, problem: `its "${keys.join('.')}" is not a string`, fix: GITHUB_WROTE });
  }
  return raw;
}

function path(payload: Payload, keys: string[]): unknown {
  let current: unknown = payload;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ key: value }` when value is defined, else `{}`: exactOptionalPropertyTypes-friendly. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

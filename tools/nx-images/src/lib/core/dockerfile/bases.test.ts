import { describe, expect, it } from 'vitest';
import { baseLabels, baseQuestion, baseRecords, pinnedReference, readBasesLabel, resolveBase, type BaseQuestion, type ResolvedBase, type TagObservation } from './bases';
import { UserError } from '../errors';

const NAME = 'r.io/o/n/env-core';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const ID = `sha256:${'a'.repeat(64)}`;

const question = (overrides: Partial<BaseQuestion> = {}): BaseQuestion => ({
  image: 'env-core',
  name: NAME,
  tags: ['feature-x', 'main'],
  from: 'branch',
  local: false,
  ...overrides,
});
const present = (tag: string, digest: string, local?: TagObservation['local']): TagObservation => ({ tag, registry: { kind: 'present', digest }, ...(local === undefined ? {} : { local }) });
const absent = (tag: string, local?: TagObservation['local']): TagObservation => ({ tag, registry: { kind: 'absent' }, ...(local === undefined ? {} : { local }) });
const unreadable = (tag: string): TagObservation => ({ tag, registry: { kind: 'unreadable', reason: 'HTTP 503' } });

describe('baseQuestion', () => {
  const facts = { name: NAME, branchTag: 'feature-x', defaultTag: 'main', local: true };
  it.each<[string, Parameters<typeof baseQuestion>, Partial<BaseQuestion>]>([
    ['a base that follows the branch: its tag, then the default branch\'s', [{ image: 'env-core', followsBaseTag: true }, facts], { tags: ['feature-x', 'main'], from: 'branch' }],
    ['on the default branch: one tag', [{ image: 'env-core', followsBaseTag: true }, { ...facts, branchTag: 'main' }], { tags: ['main'], from: 'branch' }],
    ['a base tag pinned by the build arg: that tag only', [{ image: 'env-core', followsBaseTag: true }, { ...facts, pinnedTag: 'v1' }], { tags: ['v1'], from: 'pinned' }],
    ['a tag written in the Dockerfile: that tag only', [{ image: 'env-core', followsBaseTag: false }, { ...facts, writtenTag: 'v0.1.0' }], { tags: ['v0.1.0'], from: 'written' }],
    ['no tag written: latest, as docker reads it', [{ image: 'env-core', followsBaseTag: false }, facts], { tags: ['latest'], from: 'written' }],
    ['a literal self-reference keeps its name as written', [{ image: 'env-core', followsBaseTag: true, literal: true, written: 'owner/env-core:${BASE_TAG}' }, facts], { tags: ['feature-x', 'main'], from: 'branch', written: 'owner/env-core:${BASE_TAG}' }],
    ['a literal self-reference with a written tag', [{ image: 'env-core', followsBaseTag: false, literal: true, written: 'owner/env-core:v1' }, { ...facts, writtenTag: 'v1' }], { tags: ['v1'], from: 'written', written: 'owner/env-core:v1' }],
  ])('%s', (_case, args, expected) => {
    expect(baseQuestion(...args)).toMatchObject(expected);
  });

  it('a reference through the args has no written name: its reference says it all', () => {
    expect(baseQuestion({ image: 'env-core', followsBaseTag: true, written: '${REPOSITORY}/env-core:${BASE_TAG}' }, facts)).not.toHaveProperty('written');
  });
});

describe('resolveBase', () => {
  it.each<[string, BaseQuestion, TagObservation[], Partial<ResolvedBase>]>([
    [
      "this branch's tag in the registry",
      question(),
      [present('feature-x', D1), present('main', D2)],
      { tag: 'feature-x', source: 'registry', digest: D1, reference: `${NAME}:feature-x`, note: `this branch's ${NAME}:feature-x is ${D1} in the registry` },
    ],
    [
      "the default branch's when the branch has none",
      question(),
      [absent('feature-x'), present('main', D2)],
      { tag: 'main', source: 'registry', digest: D2, note: `${NAME}:feature-x does not exist; the default branch's ${NAME}:main is ${D2} in the registry` },
    ],
    [
      'the local engine first when the build does not push',
      question({ local: true }),
      [present('feature-x', D1, { id: ID }), present('main', D2, null)],
      { tag: 'feature-x', source: 'local', id: ID, note: `this branch's ${NAME}:feature-x is image ${'a'.repeat(12)} in the local engine` },
    ],
    [
      'a local image keeps the digest it was pulled with',
      question({ local: true }),
      [absent('feature-x', { id: ID, digest: D1 })],
      { source: 'local', id: ID, digest: D1 },
    ],
    [
      "this branch's tag in the registry before the default branch's in the engine",
      question({ local: true }),
      [present('feature-x', D1, null), present('main', D2, { id: ID })],
      { tag: 'feature-x', source: 'registry', digest: D1 },
    ],
    [
      'a local image is ignored when the build pushes',
      question({ local: false }),
      [absent('feature-x', { id: ID }), present('main', D2)],
      { tag: 'main', source: 'registry' },
    ],
    ['a pinned tag', question({ tags: ['v1'], from: 'pinned' }), [present('v1', D1)], { tag: 'v1', note: `the pinned ${NAME}:v1 is ${D1} in the registry` }],
    ['a written tag', question({ tags: ['v0.1.0'], from: 'written' }), [present('v0.1.0', D1)], { tag: 'v0.1.0', note: `the written ${NAME}:v0.1.0 is ${D1} in the registry` }],
    [
      'an unreadable branch tag, then the default branch found',
      question(),
      [unreadable('feature-x'), present('main', D2)],
      { tag: 'main', source: 'registry' },
    ],
  ])('%s', (_case, q, observations, expected) => {
    expect(resolveBase(q, observations, 'fornax-hea')).toMatchObject({ image: 'env-core', ...expected });
  });

  it.each<[string, BaseQuestion, TagObservation[], RegExp]>([
    [
      'no tag anywhere',
      question(),
      [absent('feature-x'), absent('main')],
      /^fornax-hea: its base r\.io\/o\/n\/env-core:feature-x, then r\.io\/o\/n\/env-core:main exists nowhere \(not in the registry\): build env-core first \(nx run env-core:docker-build --push\), or pass --baseTagFallback=<a tag env-core has>\.$/,
    ],
    [
      'no tag anywhere, the engine asked too',
      question({ local: true }),
      [absent('feature-x', null), absent('main', null)],
      /exists nowhere \(not in the registry or the local engine\): build env-core first \(nx run env-core:docker-build\)/,
    ],
    ['a pinned tag that is missing', question({ tags: ['v1'], from: 'pinned' }), [absent('v1')], /its base r\.io\/o\/n\/env-core:v1 exists nowhere .*: build env-core first, or change the tag\.$/],
    [
      'a registry that cannot be read',
      question(),
      [unreadable('feature-x'), unreadable('main')],
      /^fornax-hea: its base env-core could not be read from the registry: r\.io\/o\/n\/env-core:feature-x \(HTTP 503\); r\.io\/o\/n\/env-core:main \(HTTP 503\): check that the registry is up and that you are logged in/,
    ],
  ])('refuses %s in one line', (_case, q, observations, message) => {
    const call = () => resolveBase(q, observations, 'fornax-hea');
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });

  it('insists on an observation of every tag it tries', () => {
    expect(() => resolveBase(question(), [absent('feature-x')], 'x')).toThrow(/no observation of r\.io\/o\/n\/env-core:main/);
  });
});

const resolved = (image: string, overrides: Partial<ResolvedBase> = {}): ResolvedBase => ({
  image,
  reference: `r.io/o/n/${image}:main`,
  tag: 'main',
  source: 'registry',
  digest: D1,
  note: '',
  ...overrides,
});

describe('pinnedReference', () => {
  it.each<[string, ResolvedBase, string | undefined, string | undefined]>([
    ['a registry base: by digest', resolved('a'), undefined, `r.io/o/n/a@${D1}`],
    ['a local base: by the tag made for this build', resolved('a', { source: 'local', id: ID }), 'fornax-pin-1', 'r.io/o/n/a:fornax-pin-1'],
    ['a registry base with no digest: not pinned', resolved('a', { digest: undefined }), undefined, undefined],
    ['a local base with no tag made: not pinned', resolved('a', { source: 'local' }), undefined, undefined],
  ])('%s', (_case, base, localTag, expected) => {
    expect(pinnedReference(base, 'r.io/o/n/a', localTag)).toBe(expected);
  });
});

describe('baseLabels and readBasesLabel', () => {
  it('puts the final base in the OCI labels and every base, sorted, in ours', () => {
    const labels = baseLabels([resolved('fornax-base'), resolved('env-ciao', { digest: D2 }), resolved('env-sas', { source: 'local', id: ID, digest: undefined })], 'fornax-base', undefined);
    expect(labels['org.opencontainers.image.base.name']).toBe('r.io/o/n/fornax-base:main');
    expect(labels['org.opencontainers.image.base.digest']).toBe(D1);
    expect(readBasesLabel(labels)).toEqual([
      { image: 'env-ciao', reference: 'r.io/o/n/env-ciao:main', digest: D2 },
      { image: 'env-sas', reference: 'r.io/o/n/env-sas:main', id: ID },
      { image: 'fornax-base', reference: 'r.io/o/n/fornax-base:main', digest: D1 },
    ]);
  });

  it('names an external final base without a digest, and writes no bases label with no base of ours', () => {
    expect(baseLabels([], undefined, 'quay.io/jupyter/scipy-notebook:2025-12-31')).toEqual({
      'org.opencontainers.image.base.name': 'quay.io/jupyter/scipy-notebook:2025-12-31',
    });
    expect(baseLabels([], undefined, undefined)).toEqual({});
  });

  it('leaves base.digest out for a local base with no manifest digest', () => {
    const labels = baseLabels([resolved('a', { source: 'local', id: ID, digest: undefined })], 'a', undefined);
    expect(labels['org.opencontainers.image.base.name']).toBe('r.io/o/n/a:main');
    expect(labels['org.opencontainers.image.base.digest']).toBeUndefined();
  });

  it.each([
    ['no labels', undefined],
    ['no bases label', {}],
    ['not JSON', { 'io.github.nasa-fornax.images.bases': '{' }],
    ['not a list', { 'io.github.nasa-fornax.images.bases': '{"image":"a"}' }],
  ])('reads nothing from %s', (_case, labels) => {
    expect(readBasesLabel(labels)).toEqual([]);
  });

  it('drops entries that are not bases', () => {
    expect(readBasesLabel({ 'io.github.nasa-fornax.images.bases': '[{"image":"a","reference":"r/a:1"},{"image":3},null]' })).toEqual([{ image: 'a', reference: 'r/a:1' }]);
  });

  it('resolveBase and baseRecords carry the name as written beside the reference built on', () => {
    const base = resolveBase(question({ written: 'owner/env-core:${BASE_TAG}' }), [present('feature-x', D1), present('main', D2)], 'tractor');
    expect(base.note).toBe(`this branch's ${NAME}:feature-x is ${D1} in the registry (written owner/env-core:\${BASE_TAG})`);
    expect(baseRecords([base])).toEqual([{ image: 'env-core', reference: `${NAME}:feature-x`, digest: D1, written: 'owner/env-core:${BASE_TAG}' }]);
  });

  it('baseRecords keeps a digest over an ID', () => {
    expect(baseRecords([resolved('a', { source: 'local', id: ID, digest: D1 })])).toEqual([{ image: 'a', reference: 'r.io/o/n/a:main', digest: D1 }]);
  });
});

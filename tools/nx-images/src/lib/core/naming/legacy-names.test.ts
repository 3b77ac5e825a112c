import { describe, expect, it } from 'vitest';
import { readBasesLabel } from '../dockerfile/bases';
import { LEGACY_LOCK_FILES_ANNOTATIONS, LEGACY_LOCKS_ARTIFACT_TYPES, LOCK_FILES_ANNOTATION, LOCKS_ARTIFACT_TYPE } from '../evidence/locks';
import { isArtifactOf, LABEL, LEGACY_BASES_LABELS, LEGACY_TEST_ARTIFACT_TYPES, LEGACY_TEST_RESULT_ANNOTATIONS, ownValue, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION } from './conventions';

// Writers use the package's neutral names only; readers take those and the
// names images already in registries were given under the Fornax project's.
describe('the names this package writes', () => {
  it.each([
    ['bases label', LABEL.bases, 'dev.nx-images.bases'],
    ['test result type', TEST_ARTIFACT_TYPE, 'application/vnd.nx-images.image-test.v1+json'],
    ['test result annotation', TEST_RESULT_ANNOTATION, 'dev.nx-images.test-result'],
    ['lock set type', LOCKS_ARTIFACT_TYPE, 'application/vnd.nx-images.environment-locks.v1+json'],
    ['lock files annotation', LOCK_FILES_ANNOTATION, 'dev.nx-images.lock-files'],
  ])('%s: %s', (_what, name, expected) => {
    expect(name).toBe(expected);
    expect(name).not.toMatch(/fornax/);
  });
});

describe('isArtifactOf', () => {
  it.each<[string, string | undefined, string, readonly string[], boolean]>([
    ['the current test type', TEST_ARTIFACT_TYPE, TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, true],
    ['the legacy test type', 'application/vnd.fornax.image-test.v1+json', TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, true],
    ['the legacy lock type', 'application/vnd.fornax.environment-locks.v1+json', LOCKS_ARTIFACT_TYPE, LEGACY_LOCKS_ARTIFACT_TYPES, true],
    ['a lock set is no test result', LOCKS_ARTIFACT_TYPE, TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, false],
    ['a legacy lock set is no test result', 'application/vnd.fornax.environment-locks.v1+json', TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, false],
    ['an artifact with no type', undefined, TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, false],
    ['another version', 'application/vnd.nx-images.image-test.v2+json', TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, false],
    ['a prefix of the type', 'application/vnd.nx-images.image-test', TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES, false],
  ])('%s', (_case, type, current, legacy, expected) => {
    expect(isArtifactOf(type, current, legacy)).toBe(expected);
  });
});

describe('ownValue', () => {
  it.each<[string, Record<string, string> | undefined, string | undefined]>([
    ['the current key', { 'dev.nx-images.test-result': 'passed' }, 'passed'],
    ['the legacy key', { 'io.github.nasa-fornax.images.test-result': 'failed' }, 'failed'],
    ['both: the current key wins', { 'io.github.nasa-fornax.images.test-result': 'failed', 'dev.nx-images.test-result': 'passed' }, 'passed'],
    ['an empty current value is still a value', { 'dev.nx-images.test-result': '', 'io.github.nasa-fornax.images.test-result': 'passed' }, ''],
    ['neither', { 'org.opencontainers.image.revision': 'abc' }, undefined],
    ['no annotations', undefined, undefined],
  ])('%s', (_case, values, expected) => {
    expect(ownValue(values, TEST_RESULT_ANNOTATION, LEGACY_TEST_RESULT_ANNOTATIONS)).toBe(expected);
  });

  it('reads a lock set\'s file count under either key', () => {
    expect(ownValue({ 'io.github.nasa-fornax.images.lock-files': '3' }, LOCK_FILES_ANNOTATION, LEGACY_LOCK_FILES_ANNOTATIONS)).toBe('3');
    expect(ownValue({ 'dev.nx-images.lock-files': '2' }, LOCK_FILES_ANNOTATION, LEGACY_LOCK_FILES_ANNOTATIONS)).toBe('2');
  });
});

describe('readBasesLabel', () => {
  const record = '[{"image":"env-core","reference":"r/o/env-core:main","digest":"sha256:1"}]';
  it.each<[string, Record<string, string>]>([
    ['under the neutral key', { [LABEL.bases]: record }],
    ['under the legacy key', { [LEGACY_BASES_LABELS[0] ?? '']: record }],
    ['under both, the neutral one read', { [LABEL.bases]: record, [LEGACY_BASES_LABELS[0] ?? '']: '[]' }],
  ])('reads the bases %s', (_case, labels) => {
    expect(readBasesLabel(labels)).toEqual([{ image: 'env-core', reference: 'r/o/env-core:main', digest: 'sha256:1' }]);
  });
});

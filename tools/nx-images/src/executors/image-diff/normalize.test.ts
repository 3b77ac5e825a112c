import { describe, expect, it } from 'vitest';
import { diffReference } from './normalize';

const digest = `sha256:${'a'.repeat(64)}`;

describe('diffReference', () => {
  it.each([
    ['a tag', 'main', undefined, 'main'],
    ['a tag of a variant', 'v1.0.0', 'cuda', 'cuda-v1.0.0'],
    ['a digest, never prefixed', digest, 'cuda', digest],
    ['spaces around', '  main ', undefined, 'main'],
  ])('%s', (_name, value, variant, expected) => {
    expect(diffReference(value, variant, '--from', 'image-diff')).toBe(expected);
  });

  it.each([['-rf'], ['.hidden'], ['a/b'], ['sha256:short'], ['x'.repeat(129)], ['tag with space'], ['']])('refuses %j in one line naming the option', (value) => {
    expect(() => diffReference(value, undefined, '--to', 'image-diff')).toThrow(
      expect.objectContaining({ subject: 'image-diff --to', problem: `${JSON.stringify(value)} is neither a tag nor a digest`, fix: 'give a tag (e.g. main, v1.0.0) or sha256:<64 hex digits>' }),
    );
  });

  it('names the target as nx.json calls it (diffTargetName)', () => {
    expect(() => diffReference('a/b', undefined, '--from', 'compare')).toThrow(expect.objectContaining({ subject: 'compare --from', problem: '"a/b" is neither a tag nor a digest' }));
  });
});

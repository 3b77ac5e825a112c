import { describe, expect, it } from 'vitest';
import { builtSubject, builtSubjectOutputs, subjectsMatrixOutput } from './provenance';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('builtSubject', () => {
  it.each([
    [{ reference: 'ghcr.io/o/r/base_image:main', pushed: true, digest: A }, { name: 'ghcr.io/o/r/base_image', digest: A }],
    [{ reference: 'localhost:5000/fornax/tags/tractor:feature-x', pushed: true, digest: A }, { name: 'localhost:5000/fornax/tags/tractor', digest: A }],
    // A variant's tag is `<variant>-<tag>`; the name is the image's.
    [{ reference: 'ghcr.io/o/r/pytorch:cuda12-main', pushed: true, digest: B }, { name: 'ghcr.io/o/r/pytorch', digest: B }],
    [{ reference: 'ghcr.io/o/r/base_image:main', pushed: false, digest: A }, undefined],
    [{ reference: 'ghcr.io/o/r/base_image:main', pushed: true }, undefined],
    [{ reference: 'ghcr.io/o/r/base_image:main', pushed: true, digest: 'sha256:short' }, undefined],
    [{ reference: 'ghcr.io/o/r/base_image:main', pushed: true, digest: `sha512:${'a'.repeat(128)}` }, undefined],
  ])('%j -> %j', (record, subject) => {
    expect(builtSubject(record)).toEqual(subject);
  });
});

describe('builtSubjectOutputs', () => {
  it('names the pushed image and digest, or leaves both empty so the attest step is skipped', () => {
    expect(builtSubjectOutputs({ name: 'ghcr.io/o/r/x', digest: A })).toEqual({ 'pushed-name': 'ghcr.io/o/r/x', 'pushed-digest': A });
    expect(builtSubjectOutputs(undefined)).toEqual({ 'pushed-name': '', 'pushed-digest': '' });
  });
});

describe('subjectsMatrixOutput', () => {
  it.each([
    [[], '[]'],
    [[{ name: 'ghcr.io/o/r/b', digest: A }, { name: 'ghcr.io/o/r/a', digest: B }], `[{"name":"ghcr.io/o/r/a","digest":"${B}"},{"name":"ghcr.io/o/r/b","digest":"${A}"}]`],
    // Two tags of one digest are one subject; two variants of one name are two.
    [[{ name: 'ghcr.io/o/r/a', digest: A }, { name: 'ghcr.io/o/r/a', digest: A }, { name: 'ghcr.io/o/r/a', digest: B }], `[{"name":"ghcr.io/o/r/a","digest":"${A}"},{"name":"ghcr.io/o/r/a","digest":"${B}"}]`],
    [[{ name: 'ghcr.io/o/r/a', digest: 'not-a-digest' }], '[]'],
  ])('%j -> %s', (records, json) => {
    expect(subjectsMatrixOutput(records)).toEqual({ attest: json });
  });
});

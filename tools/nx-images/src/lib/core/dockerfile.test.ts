import { describe, expect, it } from 'vitest';
import { baseImageOf, substitute } from './dockerfile';

const contract = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
  'RUN true',
].join('\n');

describe('baseImageOf', () => {
  it.each([
    ['the contract with defaults', contract, {}, undefined, 'ghcr.io/nasa-fornax/fornax-images/base_image:main'],
    [
      'the contract with build args',
      contract,
      { REGISTRY: '127.0.0.1:5000', REPOSITORY: 'fornax/images', BASE_IMAGE_TAG: 'feature-x' },
      undefined,
      '127.0.0.1:5000/fornax/images/base_image:feature-x',
    ],
    ['an upstream image from an ARG', 'ARG UPSTREAM=quay.io/jupyter/base-notebook:2025-01-01\nFROM $UPSTREAM\n', {}, undefined, 'quay.io/jupyter/base-notebook:2025-01-01'],
    ['a default in the reference', 'ARG TAG\nFROM example.org/x:${TAG:-fallback}\n', {}, undefined, 'example.org/x:fallback'],
    ['a multi-stage build, last stage from an earlier one', 'FROM alpine:3 AS build\nRUN true\nFROM build AS final\n', {}, undefined, 'alpine:3'],
    ['a target stage', 'FROM alpine:3 AS a\nFROM debian:12 AS b\nFROM a\n', {}, 'b', 'debian:12'],
    ['a continued ARG line', 'ARG A=x \\\n  B=y\nFROM $A/$B\n', {}, undefined, 'x/y'],
    ['quoted ARG defaults', "ARG R=\"r.io\" P='o/n'\nFROM ${R}/${P}/img:1\n", {}, undefined, 'r.io/o/n/img:1'],
    ['a --platform flag', 'FROM --platform=$BUILDPLATFORM alpine:3\n', {}, undefined, 'alpine:3'],
  ])('%s', (_name, dockerfile, args, target, reference) => {
    expect(baseImageOf(dockerfile, args, target)?.reference).toBe(reference);
  });

  it.each([
    ['FROM scratch\nCOPY x /x\n'],
    ['FROM scratch AS a\nFROM a\n'],
    ['# no FROM at all\n'],
  ])('no external base: %j', (dockerfile) => {
    expect(baseImageOf(dockerfile, {})).toBeUndefined();
  });

  it('returns undefined for a target stage that does not exist', () => {
    expect(baseImageOf(contract, {}, 'nope')).toBeUndefined();
  });
});

describe('substitute', () => {
  it.each([
    ['$A', { A: '1' }, '1'],
    ['${A}', { A: '1' }, '1'],
    ['${A:-d}', {}, 'd'],
    ['${A:-d}', { A: '' }, 'd'],
    ['${A-d}', { A: '' }, ''],
    ['${A:+alt}', { A: 'x' }, 'alt'],
    ['${A:+alt}', {}, ''],
    ['x$MISSING-y', {}, 'x-y'],
    ['$(touch /tmp/x)', {}, '$(touch /tmp/x)'],
  ])('%j with %j -> %j', (text, vars, out) => {
    expect(substitute(text, vars)).toBe(out);
  });
});

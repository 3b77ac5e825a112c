import { describe, expect, it } from 'vitest';
import { errorMessage, renderProblem, UserError, type Problem } from './errors';

describe('renderProblem', () => {
  it.each<[string, Problem, string]>([
    ['the thing, what is wrong, the fix, and a full stop', { subject: 'ci:images', problem: 'IMAGES_PLAN is empty', fix: 'run it from the plan job' }, 'ci:images: IMAGES_PLAN is empty: run it from the plan job.'],
    ['a part of an image: the image first', { image: 'tractor', subject: 'docker-build option tags', problem: 'not a list', fix: 'give one' }, 'tractor: docker-build option tags: not a list: give one.'],
    ['a fix that ends its own sentence keeps its stop', { subject: 'registry r', problem: 'refused', fix: 'check the login.' }, 'registry r: refused: check the login.'],
    ['a fix ending in a question or an exclamation', { subject: 'a', problem: 'b', fix: 'is it on?' }, 'a: b: is it on?'],
    ['a fix ending in a parenthesis gets a stop after it', { subject: 'a', problem: 'b', fix: 'c (https only)' }, 'a: b: c (https only).'],
    ['several lines become one', { subject: 'bench:fanout', problem: 'the plan failed:\n  line one\n  line two', fix: 'fix what its output shows' }, 'bench:fanout: the plan failed: line one line two: fix what its output shows.'],
    ['a blank image is left out', { image: ' ', subject: 'a', problem: 'b', fix: 'c' }, 'a: b: c.'],
    ['unicode and quotes pass as they are', { subject: '--from', problem: '"aströ" is not an image', fix: 'use one of a, b' }, '--from: "aströ" is not an image: use one of a, b.'],
  ])('%s', (_case, problem, line) => {
    expect(renderProblem(problem)).toBe(line);
  });
});

describe('UserError', () => {
  it('keeps its parts, and its message is their one line', () => {
    const error = new UserError({ image: 'tractor', subject: 'tests', problem: 'none found', fix: 'add one' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'UserError', image: 'tractor', subject: 'tests', problem: 'none found', fix: 'add one', message: 'tractor: tests: none found: add one.' });
  });

  it('has no image when the subject is the image itself', () => {
    expect(Object.keys(new UserError({ subject: 'tractor', problem: 'gone', fix: 'build it' }))).not.toContain('image');
  });
});

describe('errorMessage', () => {
  it.each<[string, unknown, string]>([
    ['a UserError: its line', new UserError({ subject: 'a', problem: 'b', fix: 'c' }), 'a: b: c.'],
    ['any error: its message on one line', new Error('first\n  second\n'), 'first second'],
    ['a string thrown', 'plain', 'plain'],
    ['anything else', 42, '42'],
  ])('%s', (_case, thrown, message) => {
    expect(errorMessage(thrown)).toBe(message);
  });
});

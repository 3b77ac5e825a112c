import { describe, expect, it } from 'vitest';
import { byImage, cell, code, formatBytes, formatDelta } from './markdown';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [200 * 1024 ** 2, '200.0 MiB'],
    [5 * 1024 ** 4, '5.0 TiB'],
  ])('%i -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatDelta', () => {
  it.each([
    [-12, '-12 B'],
    [0, '±0 B'],
    [1536, '+1.5 KiB'],
    [-3 * 1024 ** 3, '-3.0 GiB'],
  ])('%i -> %s', (bytes, text) => {
    expect(formatDelta(bytes)).toBe(text);
  });
});

describe('cell', () => {
  it.each([
    ['plain', 'plain'],
    ['a|b', 'a\\|b'],
    ['a\nb', 'a<br>b'],
    ['a\r\nb', 'a<br>b'],
    ['a\rb', 'a<br>b'],
    ['<b>', '&lt;b&gt;'],
    ['&amp;', '&amp;amp;'],
    ['  padded  ', 'padded'],
    ['ünïcødé 日本', 'ünïcødé 日本'],
  ])('%j -> %j', (text, expected) => {
    expect(cell(text)).toBe(expected);
  });
});

describe('code', () => {
  it.each([
    ['main', '`main`'],
    ['a`b', '``a`b``'],
    ['`edge`', '`` `edge` ``'],
    ['a|b', '`a\\|b`'],
    ['two\nlines', '`two lines`'],
    ['', '``'],
  ])('%j -> %j', (text, expected) => {
    expect(code(text)).toBe(expected);
  });
});

describe('byImage', () => {
  it.each<[string[], string[]]>([
    [['tractor', 'base_image', 'env-core'], ['base_image', 'env-core', 'tractor']],
    // Code units, not the locale: upper case before lower, "-" before "_", "é" after "z".
    [['b', 'B', 'a-b', 'a_b', 'é', 'z'], ['B', 'a-b', 'a_b', 'b', 'z', 'é']],
    [['same', 'same'], ['same', 'same']],
    [[], []],
  ])('%j -> %j', (images, expected) => {
    expect(images.map((image) => ({ image })).sort(byImage).map((row) => row.image)).toEqual(expected);
  });
});

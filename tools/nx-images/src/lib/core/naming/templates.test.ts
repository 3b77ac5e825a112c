import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { renderTag, renderTemplate, strftimeUtc, type TemplateValues } from './templates';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const VALUES: TemplateValues = {
  branch: 'feature-x',
  image: 'base_image',
  sha: SHA,
  time: new Date('2026-06-30T12:05:09.999Z'),
};
const WITH_TAG: TemplateValues = { ...VALUES, tag: '20260630_1205' };

describe('renderTemplate', () => {
  it.each([
    ['{branch}', 'feature-x'],
    ['sha-{sha:12}', 'sha-0123456789ab'],
    ['{sha}', SHA],
    ['{sha:1}', '0'],
    ['{sha:40}', SHA],
    ['{time:%Y%m%d_%H%M}', '20260630_1205'],
    ['{time:%y.%m.%d-%H%M%S}', '26.06.30-120509'],
    ['{time:100%%}', '100%'],
    ['{image}:{time:%Y%m%d_%H%M}', 'base_image:20260630_1205'],
    ['{image}:{tag}', 'base_image:20260630_1205'],
    ['plain', 'plain'],
    ['', ''],
    ['{{literal}}', '{literal}'],
    ['{{{branch}}}', '{feature-x}'],
    ['a b;c $(x)', 'a b;c $(x)'],
    ['日本語-{branch}', '日本語-feature-x'],
    ['{time:/:}', '/:'],
  ])('%j -> %j', (template, rendered) => {
    expect(renderTemplate(template, WITH_TAG, 'template')).toBe(rendered);
  });

  it.each([
    ['{nope}', /unknown placeholder \{nope\}/],
    ['{version:python}', /unknown placeholder \{version:python\}/],
    ['{Branch}', /unknown placeholder/],
    ['{}', /unknown placeholder \{\}/],
    ['{ branch }', /unknown placeholder/],
    ['{branch', /the "\{" at character 1 is not closed/],
    ['x-{sha:12', /not closed/],
    ['{{branch}', /a "\}" at character 9 closes nothing/],
    ['{bra{nch}', /not closed/],
    ['}', /closes nothing/],
    ['{branch:x}', /\{branch\} takes no argument/],
    ['{time}', /\{time\} needs an argument/],
    ['{time:}', /\{time\} needs an argument/],
    ['{time:%Q}', /"%Q", which is not one of/],
    ['{time:%}', /a "%" at its end/],
    ['{sha:0}', /length from 1 to 40/],
    ['{sha:41}', /length from 1 to 40/],
    ['{sha:-1}', /length from 1 to 40/],
    ['{sha:abc}', /length from 1 to 40/],
    ['{tag}', /use \{tag\} in build-arg templates only/],
  ])('%j is an error: %s', (template, message) => {
    const attempt = () => renderTemplate(template, VALUES, 'tags template');
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
    // One line, naming the template and the known placeholders.
    expect(attempt).toThrow(`tags template ${JSON.stringify(template)}: `);
    expect(attempt).toThrow(/the placeholders are \{branch\}, \{tag\}, \{image\}, \{sha\}, \{sha:<length>\}, \{time:<strftime>\}/);
  });

  it('renders 300 characters of text as they are', () => {
    expect(renderTemplate('a'.repeat(300), VALUES, 'template')).toBe('a'.repeat(300));
  });
});

describe('renderTag', () => {
  it.each([
    ['{branch}', 'feature-x'],
    ['sha-{sha:12}', 'sha-0123456789ab'],
    ['{time:%Y%m%d_%H%M}', '20260630_1205'],
    ['_{time:%S}', '_09'],
    ['a'.repeat(128), 'a'.repeat(128)],
  ])('%j -> %j', (template, tag) => {
    expect(renderTag(template, VALUES, 'tags template')).toBe(tag);
  });

  it.each([
    ['{time:%Y/%m/%d}', '2026/06/30'],
    ['{time:%H:%M}', '12:05'],
    ['', ''],
    ['-{branch}', '-feature-x'],
    ['.{sha:7}', '.0123456'],
    ['{{x}}', '{x}'],
    ['日本語', '日本語'],
    ['a'.repeat(129), 'a'.repeat(60) + '...'],
    ['a'.repeat(300), 'a'.repeat(60) + '...'],
    ['{sha}{sha}{sha}{sha}', `${SHA}${SHA.slice(0, 20)}...`],
  ])('%j renders an invalid tag: error', (template, shown) => {
    const attempt = () => renderTag(template, VALUES, 'tags template');
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(`tags template ${JSON.stringify(template)} renders ${JSON.stringify(shown)}, which is not a valid Docker tag`);
  });
});

describe('strftimeUtc', () => {
  it.each([
    ['2026-01-02T03:04:05Z', '%Y%m%d_%H%M%S', '20260102_030405'],
    ['1999-12-31T23:59:59Z', '%y', '99'],
    ['2000-01-01T00:00:00Z', '%y', '00'],
    // UTC, whatever the machine's zone: 23:30 at -05:00 is 04:30 the next day.
    ['2026-06-30T23:30:00-05:00', '%Y%m%d_%H%M', '20260701_0430'],
    ['2026-06-30T12:00:00Z', '%%Y', '%Y'],
    ['2026-06-30T12:00:00Z', 'no fields', 'no fields'],
  ])('%s with %j -> %j', (time, format, rendered) => {
    expect(strftimeUtc(new Date(time), format)).toBe(rendered);
  });

  it('refuses an invalid date', () => {
    expect(() => renderTemplate('{time:%Y}', { ...VALUES, time: new Date('nope') }, 'template')).toThrow(/the build time is not a valid date/);
  });
});

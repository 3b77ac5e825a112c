import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import type { Inventory, InventoryPackage } from '../evidence/inventory';
import { assertBuildArgTemplates, assertTagTemplates, finishInventoryTags, planBuildTags, previewInventoryTag, renderTag, renderTemplate, strftimeUtc, type TemplateValues } from './templates';

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
    expect(renderTemplate(template, WITH_TAG, { subject: 'template' })).toBe(rendered);
  });

  const SYNTAX = /^use the placeholders \{branch\}, \{tag\}, \{image\}, \{sha\}, \{sha:<length>\}, \{time:<strftime>\}, \{version:<package>\}, \{version:<environment>\/<package>\} \("\{\{" and "\}\}" for literal braces\)$/;
  it.each<[string, RegExp, RegExp]>([
    ['{nope}', /^unknown placeholder \{nope\}$/, SYNTAX],
    ['{version:python}', /^\{version:python\} reads the image's inventory, which is made only after the build$/, /^use it in per-build tag templates/],
    ['{version}', /^\{version\} needs an argument, e.g. \{version:<package>\} or \{version:<environment>\/<package>\}$/, SYNTAX],
    ['{version:}', /\{version\} needs an argument/, SYNTAX],
    ['{version:base/}', /^\{version:base\/\} names no package$/, /^give a package, and an environment before "\/" if any/],
    ['{version:/numpy}', /names no package/, /^give a package/],
    ['{versions:python}', /^unknown placeholder \{versions:python\}$/, SYNTAX],
    ['{Branch}', /unknown placeholder/, SYNTAX],
    ['{}', /^unknown placeholder \{\}$/, SYNTAX],
    ['{ branch }', /unknown placeholder/, SYNTAX],
    ['{branch', /^the "\{" at character 1 is not closed$/, SYNTAX],
    ['x-{sha:12', /not closed/, SYNTAX],
    ['{{branch}', /^a "\}" at character 9 closes nothing$/, SYNTAX],
    ['{bra{nch}', /not closed/, SYNTAX],
    ['}', /closes nothing/, SYNTAX],
    ['{branch:x}', /^\{branch\} takes no argument/, SYNTAX],
    ['{time}', /\{time\} needs an argument/, SYNTAX],
    ['{time:}', /\{time\} needs an argument/, SYNTAX],
    ['{time:%Q}', /"%Q", which is not one of %Y %y %m %d %H %M %S %%$/, /^write the time with those fields$/],
    ['{time:%}', /a "%" at its end/, /those fields/],
    ['{sha:0}', /^\{sha:0\} is no length of a commit sha$/, /^give a length from 1 to 40, e.g. \{sha:12\}$/],
    ['{sha:41}', /no length/, /length from 1 to 40/],
    ['{sha:-1}', /no length/, /length from 1 to 40/],
    ['{sha:abc}', /no length/, /length from 1 to 40/],
    ['{tag}', /^\{tag\} is the tag being made here$/, /^use \{tag\} in build-arg templates only$/],
  ])('%j is an error: %s', (template, problem, fix) => {
    const attempt = () => renderTemplate(template, VALUES, { image: 'tractor', subject: 'tags template' });
    expect(attempt).toThrow(UserError);
    // The template is the subject, within the image's option.
    expect(attempt).toThrow(expect.objectContaining({ image: 'tractor', subject: `tags template ${JSON.stringify(template)}`, problem: expect.stringMatching(problem) as unknown, fix: expect.stringMatching(fix) as unknown }));
    expect(attempt).toThrow(/^tractor: tags template [^\n]+\.$/);
  });

  it('renders 300 characters of text as they are', () => {
    expect(renderTemplate('a'.repeat(300), VALUES, { subject: 'template' })).toBe('a'.repeat(300));
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
    expect(renderTag(template, VALUES, { subject: 'tags template' })).toBe(tag);
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
    const attempt = () => renderTag(template, VALUES, { subject: 'tags template' });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(
      expect.objectContaining({ subject: `tags template ${JSON.stringify(template)}`, problem: `renders ${JSON.stringify(shown)}, which is not a valid Docker tag`, fix: expect.stringContaining('1-128 characters') as unknown }),
    );
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
    expect(() => renderTemplate('{time:%Y}', { ...VALUES, time: new Date('nope') }, { subject: 'template' })).toThrow(expect.objectContaining({ problem: 'the build time is not a valid date' }));
  });
});

const pkg = (environment: string, name: string, version: string, source: InventoryPackage['source'] = 'conda'): InventoryPackage => ({
  environment,
  name,
  version,
  source,
  purl: `pkg:${source}/${name}@${version}`,
  file: `${environment}.txt`,
});
const INVENTORY: Inventory = {
  schemaVersion: 1,
  image: 'base_image',
  problems: [],
  packages: [
    pkg('base', 'python', '3.12.7'),
    pkg('base', 'NumPy', '2.1.0+cu121', 'pypi'),
    pkg('base', 'ruamel.yaml', '0.18.6', 'pypi'),
    pkg('base', 'heasoft', '6.34'),
    pkg('notebook', 'python', '3.11.9'),
    pkg('notebook', 'jupyterlab', '4.2.5', 'pypi'),
    pkg('notebook', 'astropy', '6.1.4', 'pypi'),
    pkg('other', 'astropy', '6.1.4', 'conda'),
    pkg('py1', 'torch', '2.4.0'),
    pkg('py2', 'torch', '2.5.0'),
    pkg('system', 'libc6', '2.36-9+deb12u8', 'deb'),
    pkg('system', 'libc6', '2.36-9+deb12u8', 'deb'),
    pkg('system', 'tzdata', '1:2024a-0', 'deb'),
    pkg('system', 'weird', '+++', 'deb'),
    pkg('system', 'twice', '1.0', 'deb'),
    pkg('system', 'twice', '1.1', 'deb'),
  ],
};
const WITH_INVENTORY: TemplateValues = { ...VALUES, inventory: INVENTORY };

describe('{version:<package>} from the inventory', () => {
  it.each([
    ['py-{version:python}', 'py-3.12.7'],
    ['py-{version:notebook/python}', 'py-3.11.9'],
    ['{version:base/python}', '3.12.7'],
    ['heasoft-{version:heasoft}', 'heasoft-6.34'],
    // PyPI names compare PEP 503 normalized; other sources case-insensitively.
    ['{version:numpy}', '2.1.0-cu121'],
    ['{version:ruamel-yaml}', '0.18.6'],
    ['{version:Ruamel__YAML}', '0.18.6'],
    ['{version:JupyterLab}', '4.2.5'],
    ['{version:HEASOFT}', '6.34'],
    // Two environments, one version: no need to name one.
    ['{version:astropy}', '6.1.4'],
    // The same package listed twice (two architectures) with one version.
    ['glibc-{version:libc6}', 'glibc-2.36-9-deb12u8'],
    ['{version:system/tzdata}', '1-2024a-0'],
    ['{image}-{version:python}-{sha:7}', 'base_image-3.12.7-0123456'],
  ])('%j -> %j', (template, rendered) => {
    expect(renderTag(template, WITH_INVENTORY, { subject: 'tags template' })).toBe(rendered);
  });

  it.each([
    ['{version:scipy}', 'the inventory of base_image holds no package "scipy" (environments: base, notebook, other, py1, py2, system)', 'name a package the image has, or remove the template'],
    ['{version:notebook/heasoft}', 'the inventory of base_image holds no package "heasoft" in environment "notebook" (environments: base, notebook, other, py1, py2, system)', 'name a package the image has, or remove the template'],
    ['{version:nope/python}', 'the inventory of base_image holds no package "python" in environment "nope" (environments: base, notebook, other, py1, py2, system)', 'name a package the image has, or remove the template'],
    // Only pypi names are PEP 503 normalized.
    ['{version:lib-c6}', 'the inventory of base_image holds no package "lib-c6" (environments: base, notebook, other, py1, py2, system)', 'name a package the image has, or remove the template'],
    ['{version:torch}', 'base_image has "torch" in more than one version: py1 (2.4.0), py2 (2.5.0)', 'name the environment, e.g. {version:py1/torch}'],
    ['{version:twice}', 'base_image has "twice" in more than one version: system (1.0, 1.1)', 'name the environment, e.g. {version:system/twice}'],
    ['{version:weird}', 'the version "+++" of "weird" in base_image has no character a tag can hold', 'name another package, or remove the template'],
  ])('%j is a one-line error naming the package and the image', (template, problem, fix) => {
    const attempt = () => renderTemplate(template, WITH_INVENTORY, { image: 'tractor', subject: 'tags template' });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(expect.objectContaining({ image: 'tractor', subject: `tags template ${JSON.stringify(template)}`, problem, fix }));
  });

  it('prefers the base environment when environments disagree', () => {
    expect(renderTemplate('{version:python}', WITH_INVENTORY, { subject: 't' })).toBe('3.12.7');
    const noBase = { ...INVENTORY, packages: INVENTORY.packages.filter((entry) => entry.environment !== 'base') };
    expect(renderTemplate('{version:python}', { ...VALUES, inventory: noBase }, { subject: 't' })).toBe('3.11.9');
  });

  it('an empty inventory holds nothing; a build without one says so', () => {
    const empty: Inventory = { schemaVersion: 1, image: 'x', packages: [], problems: [] };
    expect(() => renderTemplate('{version:python}', { ...VALUES, inventory: empty }, { subject: 't' })).toThrow(expect.objectContaining({ problem: 'the inventory of base_image holds no package "python" (environments: none)' }));
    expect(() => renderTemplate('{version:python}', { ...VALUES, inventory: null }, { subject: 't' })).toThrow(
      expect.objectContaining({ subject: 't "{version:python}"', problem: expect.stringMatching(/^no inventory was made for base_image/) as unknown, fix: 'push a single-platform build, or remove the template' }),
    );
  });

  it('a rendered version must still make a valid tag', () => {
    expect(() => renderTag('{version:python}'.repeat(30), WITH_INVENTORY, { subject: 'tags template' })).toThrow(expect.objectContaining({ problem: expect.stringMatching(/which is not a valid Docker tag$/) as unknown }));
  });
});

describe('planBuildTags and finishInventoryTags', () => {
  const what = { image: 'tractor', subject: 'tags template' };

  it.each<[string[], string | undefined, string[], string[]]>([
    [['{branch}', 'sha-{sha:12}'], undefined, ['feature-x', 'sha-0123456789ab'], []],
    [['py-{version:python}', '{time:%Y%m%d}'], undefined, ['20260630'], ['py-{version:python}']],
    // Everything but the inventory's values is rendered now, with the build's values.
    [['{image}-{version:base/numpy}-{sha:7}'], undefined, [], ['base_image-{version:base/numpy}-0123456']],
    [['{version:python}', '{branch}'], 'cuda12', ['cuda12-feature-x'], ['cuda12-{version:python}']],
  ])('%j (variant %j) -> now %j, later %j', (templates, variant, now, later) => {
    expect(planBuildTags(templates, VALUES, variant, what)).toEqual({ now, later });
  });

  it('refuses before the build a template that can never be a tag, with a stand-in version', () => {
    expect(() => planBuildTags(['{time:%H:%M}-{version:python}'], VALUES, undefined, what)).toThrow(expect.objectContaining({ ...what, subject: 'tags template "{time:%H:%M}-{version:python}"', problem: 'renders "12:05-0", which is not a valid Docker tag' }));
    expect(() => planBuildTags(['{version:python'], VALUES, undefined, what)).toThrow(expect.objectContaining({ problem: 'the "{" at character 1 is not closed' }));
  });

  it('finishes the later tags with the inventory, and fails without one', () => {
    const { later } = planBuildTags(['py-{version:python}-{sha:7}', 'np{version:numpy}'], VALUES, 'cuda12', what);
    expect(finishInventoryTags(later, WITH_INVENTORY, what)).toEqual(['cuda12-py-3.12.7-0123456', 'cuda12-np2.1.0-cu121']);
    expect(() => finishInventoryTags(later, { ...VALUES, inventory: null }, what)).toThrow(UserError);
    expect(() => finishInventoryTags(['{version:scipy}'], WITH_INVENTORY, what)).toThrow(expect.objectContaining({ ...what, subject: 'tags template "{version:scipy}"', problem: expect.stringContaining('holds no package "scipy"') as unknown }));
  });

  it('shows a later tag in a plan without its value', () => {
    expect(previewInventoryTag('cuda12-py-{version:python}-{version:base/numpy}')).toBe('cuda12-py-<python from the inventory>-<base/numpy from the inventory>');
  });

  it('the tags option accepts {version:...}; a build arg refuses it', () => {
    expect(assertTagTemplates(['{branch}', 'py-{version:python}'], { subject: 'tags' })).toEqual(['{branch}', 'py-{version:python}']);
    expect(() => assertTagTemplates(['py-{version:}'], { subject: 'tags' })).toThrow(expect.objectContaining({ subject: 'tags "py-{version:}"', problem: expect.stringMatching(/^\{version\} needs an argument/) as unknown }));
    expect(() => assertBuildArgTemplates({ PY: '{version:python}' }, { subject: 'buildArgTemplates' })).toThrow(
      'buildArgTemplates.PY "{version:python}": {version:python} reads the image\'s inventory, which is made only after the build: use it in per-build tag templates (the tags option), not in build args.',
    );
  });
});

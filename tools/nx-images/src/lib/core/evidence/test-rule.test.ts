import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../errors';
import { DEFAULT_TEST_RULE, locateTests, mountOf, normalizeTestRule, underscored, type TestRule } from './test-rule';

const WHERE = { subject: 'nx.json: @fornax/nx-images option tests' };
const rule = (given: Partial<TestRule>): TestRule => ({ ...DEFAULT_TEST_RULE, ...given });

describe('normalizeTestRule', () => {
  it.each<[string, unknown, TestRule]>([
    ['nothing: today\'s tests folder, in the image', undefined, { path: '{root}/tests', mount: '', run: 'image', command: [] }],
    ['an empty object is the default', {}, DEFAULT_TEST_RULE],
    ['fornax-images: one file per image, the folder mounted', { path: 'tests/test_{name_}.py', mount: 'tests' }, rule({ path: 'tests/test_{name_}.py', mount: 'tests' })],
    ['docker-stacks: a folder per image, on the host', { path: 'tests/by_image/{name}', run: 'host' }, rule({ path: 'tests/by_image/{name}', run: 'host' })],
    ['a host command with the resolved python and the report', { path: 't/{name}', run: 'host', command: ['{python}', '-m', 'pytest', '--junitxml={report}', '{path}'] }, rule({ path: 't/{name}', run: 'host', command: ['{python}', '-m', 'pytest', '--junitxml={report}', '{path}'] })],
    ['a path that goes up and comes back in', { path: 'a/../tests/{name}' }, rule({ path: 'a/../tests/{name}' })],
  ])('%s', (_case, given, expected) => {
    expect(normalizeTestRule(given, WHERE)).toEqual(expected);
  });

  const OPTION = WHERE.subject;
  const at = (key: string) => `${OPTION}.${key}`;
  const has = (text: string) => expect.stringContaining(text) as unknown as string;
  it.each<[string, unknown, Partial<Problem>]>([
    ['a string', 'tests', { subject: OPTION, problem: 'not an object', fix: 'give one such as { "path": "tests/test_{name_}.py", "mount": "tests", "run": "image" }' }],
    ['a list', ['tests'], { subject: OPTION, problem: 'not an object' }],
    ['an unknown key', { paths: 'tests' }, { subject: OPTION, problem: 'there is no "paths"', fix: 'use the keys path, mount, run, command' }],
    ['an unknown way to run', { run: 'container' }, { subject: at('run'), problem: '"container" is neither "image" nor "host"', fix: 'say where the tests run' }],
    ['an empty path', { path: ' ' }, { subject: at('path'), problem: 'not a path', fix: has('from the workspace root') }],
    ['a path that is no text', { path: 3 }, { subject: at('path'), problem: 'not a path' }],
    ['an absolute path', { path: '/etc/tests' }, { subject: at('path'), problem: '"/etc/tests" is not inside the workspace', fix: has('give a path from the workspace root') }],
    ['a path leaving the workspace', { path: '../other/tests/{name}' }, { subject: at('path'), problem: '"../other/tests/x" is not inside the workspace' }],
    ['a path leaving it further down', { path: 'tests/../../{name}' }, { problem: has('is not inside the workspace') }],
    ['the workspace itself', { path: '.' }, { subject: at('path'), problem: '"." is not inside the workspace' }],
    ['a backslashed escape', { path: '..\\..\\tests' }, { problem: has('is not inside the workspace') }],
    ['an unknown placeholder', { path: 'tests/{image}' }, { subject: at('path'), problem: '{image} is an unknown placeholder', fix: 'use {name}, {name_}, {root}' }],
    ['{python} in a command run in the image', { command: ['{python}', 'x.py'] }, { subject: at('command'), problem: '{python} is an unknown placeholder' }],
    ['a mount for tests run on the host', { path: 'tests/{name}', mount: 'tests', run: 'host' }, { subject: at('mount'), problem: 'it is only for tests run in the image', fix: 'remove it, or set "run": "image"' }],
    ['tests outside their mount', { path: 'tests/test_{name_}.sh', mount: 'helpers' }, { subject: OPTION, problem: 'the tests tests/test_x.sh are not inside the mount helpers', fix: 'set mount to a folder that holds them' }],
    ['a mount that is only a prefix of the folder', { path: 'tests2/{name}', mount: 'tests' }, { problem: has('are not inside the mount tests') }],
    ['a command that is one string', { command: 'pytest -q' }, { subject: at('command'), problem: 'not a list of non-empty strings' }],
    ['a command with an empty word', { command: ['pytest', ''] }, { subject: at('command'), problem: 'not a list of non-empty strings' }],
  ])('refuses %s', (_case, given, fields) => {
    expect(() => normalizeTestRule(given, WHERE)).toThrow(UserError);
    expect(() => normalizeTestRule(given, WHERE)).toThrow(expect.objectContaining(fields));
  });

  it('keeps the image of an image\'s own rule, and names it first', () => {
    const call = () => normalizeTestRule({ run: 'container' }, { image: 'tractor', subject: 'image-test option tests' });
    expect(call).toThrow(expect.objectContaining({ image: 'tractor', subject: 'image-test option tests.run' }));
    expect(call).toThrow(/^tractor: image-test option tests\.run: "container" is neither "image" nor "host": say where the tests run\.$/);
  });
});

describe('underscored', () => {
  it.each<[string, string]>([
    ['fornax-hea', 'fornax_hea'],
    ['base.os-2', 'base_os_2'],
    ['a--b..c', 'a__b__c'],
    ['already_fine', 'already_fine'],
  ])('%s -> %s', (name, expected) => {
    expect(underscored(name)).toBe(expected);
  });
});

describe('locateTests and mountOf', () => {
  const fornax = rule({ path: 'tests/test_{name_}.py', mount: 'tests' });
  it.each<[string, TestRule, { name: string; root: string }, boolean, { path: string; mount: string; within: string }]>([
    ['today\'s folder: mounted as it is', DEFAULT_TEST_RULE, { name: 'tractor', root: 'images/tractor' }, false, { path: 'images/tractor/tests', mount: 'images/tractor/tests', within: '' }],
    ['a name with "-": the file takes "_"', fornax, { name: 'fornax-hea', root: 'images/fornax-hea' }, true, { path: 'tests/test_fornax_hea.py', mount: 'tests', within: 'test_fornax_hea.py' }],
    ['a name with "." and "-"', fornax, { name: 'base.os-2', root: 'x/base.os-2' }, true, { path: 'tests/test_base_os_2.py', mount: 'tests', within: 'test_base_os_2.py' }],
    ['a file with no mount: its folder', rule({ path: 'tests/test_{name_}.sh' }), { name: 'env-core', root: 'images/env-core' }, true, { path: 'tests/test_env_core.sh', mount: 'tests', within: 'test_env_core.sh' }],
    ['a file at the top: the workspace mounted', rule({ path: 'check_{name_}.sh' }), { name: 'env-core', root: 'images/env-core' }, true, { path: 'check_env_core.sh', mount: '.', within: 'check_env_core.sh' }],
    ['a folder per image keeps the name', rule({ path: 'tests/by_image/{name}', run: 'host' }), { name: 'docker-stacks-foundation', root: 'images/docker-stacks-foundation' }, false, { path: 'tests/by_image/docker-stacks-foundation', mount: 'tests/by_image/docker-stacks-foundation', within: '' }],
    ['a folder inside a wider mount', rule({ path: 'tests/by_image/{name}', mount: 'tests' }), { name: 'minimal', root: 'images/minimal' }, false, { path: 'tests/by_image/minimal', mount: 'tests', within: 'by_image/minimal' }],
    ['{root} and a trailing slash', rule({ path: '{root}/checks/' }), { name: 'a', root: 'containers/a' }, false, { path: 'containers/a/checks', mount: 'containers/a/checks', within: '' }],
    ['"./" and doubled slashes are tidied', rule({ path: './tests//test_{name}.sh' }), { name: 'a', root: 'images/a' }, true, { path: 'tests/test_a.sh', mount: 'tests', within: 'test_a.sh' }],
  ])('%s', (_case, given, image, isFile, expected) => {
    const location = locateTests(given, image);
    expect({ path: location.path, ...mountOf(location, isFile) }).toEqual(expected);
  });

  it.each<[string, TestRule, { name: string; root: string }, Partial<Problem>]>([
    ['an image root outside the workspace', DEFAULT_TEST_RULE, { name: 'a', root: '../elsewhere/a' }, { image: 'a', subject: 'tests.path', problem: '"../elsewhere/a/tests" is not inside the workspace' }],
    ['an absolute image root', DEFAULT_TEST_RULE, { name: 'a', root: '/abs/a' }, { image: 'a', subject: 'tests.path', problem: '"/abs/a/tests" is not inside the workspace' }],
  ])('refuses %s', (_case, given, image, fields) => {
    expect(() => locateTests(given, image)).toThrow(expect.objectContaining(fields));
  });
});

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
    ['a common file and each image\'s own, "-" kept', { path: ['tests/test_all.py', 'tests/test_{name}.py'] }, rule({ path: ['tests/test_all.py', 'tests/test_{name}.py'] })],
    ['a list of one stays a list', { path: ['tests/test_{name_}.py'], mount: 'tests' }, rule({ path: ['tests/test_{name_}.py'], mount: 'tests' })],
    ['a list on the host with its command', { path: ['tests/common', 'tests/by_image/{name}'], run: 'host', command: ['{python}', '-m', 'pytest', '{path}'] }, rule({ path: ['tests/common', 'tests/by_image/{name}'], run: 'host', command: ['{python}', '-m', 'pytest', '{path}'] })],
    ['a list under one mount', { path: ['tests/test_all.sh', 'tests/by_image/{name}'], mount: 'tests' }, rule({ path: ['tests/test_all.sh', 'tests/by_image/{name}'], mount: 'tests' })],
    ['unicode, "#" and spaces in a listed path', { path: ['tests/tést #1/all.sh', 'tests/{name}'] }, rule({ path: ['tests/tést #1/all.sh', 'tests/{name}'] })],
    ['300 characters', { path: [`tests/${'x'.repeat(294)}`] }, rule({ path: [`tests/${'x'.repeat(294)}`] })],
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
    ['an empty list', { path: [] }, { subject: at('path'), problem: 'an empty list', fix: has('or a list of them') }],
    ['a list with an empty entry', { path: ['tests/test_all.py', ''] }, { subject: at('path'), problem: 'entry 1 ("") is not a path' }],
    ['a list with a blank entry', { path: ['  ', 'tests/{name}'] }, { subject: at('path'), problem: 'entry 0 ("  ") is not a path' }],
    ['a list with a number', { path: ['tests/{name}', 7] }, { subject: at('path'), problem: 'entry 1 (7) is not a path' }],
    ['a list inside a list', { path: [['tests/{name}']] }, { subject: at('path'), problem: 'entry 0 (["tests/{name}"]) is not a path' }],
    ['a list with null', { path: [null] }, { subject: at('path'), problem: 'entry 0 (null) is not a path' }],
    ['an object for a path', { path: { all: 'tests/test_all.py' } }, { subject: at('path'), problem: 'not a path' }],
    ['a path listed twice', { path: ['tests/test_all.py', 'tests/test_all.py'] }, { subject: at('path'), problem: 'it lists "tests/test_all.py" twice', fix: 'give each path once' }],
    ['a listed path leaving the workspace', { path: ['tests/test_all.py', '../x/{name}'] }, { subject: at('path'), problem: '"../x/x" is not inside the workspace' }],
    ['a listed path that is absolute', { path: ['/tmp/t.py', 'tests/{name}'] }, { subject: at('path'), problem: '"/tmp/t.py" is not inside the workspace' }],
    ['an unknown placeholder in a listed path', { path: ['tests/test_all.py', 'tests/{image}.py'] }, { subject: at('path'), problem: '{image} is an unknown placeholder' }],
    ['a listed path outside the mount', { path: ['tests/test_all.py', 'other/{name}.py'], mount: 'tests' }, { subject: OPTION, problem: 'the tests other/x.py are not inside the mount tests' }],
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
  const shared = rule({ path: ['tests/test_all.py', 'tests/test_{name}.py'] });
  // Each row: the rule, the image, which located paths exist (true: a file, false: a folder), then where they are and what is mounted.
  it.each<[string, TestRule, { name: string; root: string }, Record<string, boolean>, { paths: string[]; mount: string; within: string[] }]>([
    ['today\'s folder: mounted as it is', DEFAULT_TEST_RULE, { name: 'tractor', root: 'images/tractor' }, { 'images/tractor/tests': false }, { paths: ['images/tractor/tests'], mount: 'images/tractor/tests', within: [''] }],
    ['a name with "-": the file takes "_"', fornax, { name: 'fornax-hea', root: 'images/fornax-hea' }, { 'tests/test_fornax_hea.py': true }, { paths: ['tests/test_fornax_hea.py'], mount: 'tests', within: ['test_fornax_hea.py'] }],
    ['a name with "." and "-"', fornax, { name: 'base.os-2', root: 'x/base.os-2' }, { 'tests/test_base_os_2.py': true }, { paths: ['tests/test_base_os_2.py'], mount: 'tests', within: ['test_base_os_2.py'] }],
    ['a file with no mount: its folder', rule({ path: 'tests/test_{name_}.sh' }), { name: 'env-core', root: 'images/env-core' }, { 'tests/test_env_core.sh': true }, { paths: ['tests/test_env_core.sh'], mount: 'tests', within: ['test_env_core.sh'] }],
    ['a file at the top: the workspace mounted', rule({ path: 'check_{name_}.sh' }), { name: 'env-core', root: 'images/env-core' }, { 'check_env_core.sh': true }, { paths: ['check_env_core.sh'], mount: '.', within: ['check_env_core.sh'] }],
    ['a folder per image keeps the name', rule({ path: 'tests/by_image/{name}', run: 'host' }), { name: 'docker-stacks-foundation', root: 'images/docker-stacks-foundation' }, { 'tests/by_image/docker-stacks-foundation': false }, { paths: ['tests/by_image/docker-stacks-foundation'], mount: 'tests/by_image/docker-stacks-foundation', within: [''] }],
    ['a folder inside a wider mount', rule({ path: 'tests/by_image/{name}', mount: 'tests' }), { name: 'minimal', root: 'images/minimal' }, { 'tests/by_image/minimal': false }, { paths: ['tests/by_image/minimal'], mount: 'tests', within: ['by_image/minimal'] }],
    ['{root} and a trailing slash', rule({ path: '{root}/checks/' }), { name: 'a', root: 'containers/a' }, { 'containers/a/checks': false }, { paths: ['containers/a/checks'], mount: 'containers/a/checks', within: [''] }],
    ['"./" and doubled slashes are tidied', rule({ path: './tests//test_{name}.sh' }), { name: 'a', root: 'images/a' }, { 'tests/test_a.sh': true }, { paths: ['tests/test_a.sh'], mount: 'tests', within: ['test_a.sh'] }],
    ['a common file and the image\'s own, "-" kept: both, one folder mounted', shared, { name: 'fornax-hea', root: 'fornax-hea' }, { 'tests/test_all.py': true, 'tests/test_fornax-hea.py': true }, { paths: ['tests/test_all.py', 'tests/test_fornax-hea.py'], mount: 'tests', within: ['test_all.py', 'test_fornax-hea.py'] }],
    ['the common file alone: still tests', shared, { name: 'base', root: 'base' }, { 'tests/test_all.py': true }, { paths: ['tests/test_all.py'], mount: 'tests', within: ['test_all.py'] }],
    ['the image\'s own alone', shared, { name: 'base', root: 'base' }, { 'tests/test_base.py': true }, { paths: ['tests/test_base.py'], mount: 'tests', within: ['test_base.py'] }],
    ['{name_} for the own file', rule({ path: ['tests/test_all.py', 'tests/test_{name_}.py'] }), { name: 'a-b.c', root: 'a-b.c' }, { 'tests/test_all.py': true, 'tests/test_a_b_c.py': true }, { paths: ['tests/test_all.py', 'tests/test_a_b_c.py'], mount: 'tests', within: ['test_all.py', 'test_a_b_c.py'] }],
    ['files in two folders: their deepest common folder mounted', rule({ path: ['tests/common/test_all.py', 'tests/by_image/{name}'] }), { name: 'x', root: 'images/x' }, { 'tests/common/test_all.py': true, 'tests/by_image/x': false }, { paths: ['tests/common/test_all.py', 'tests/by_image/x'], mount: 'tests', within: ['common/test_all.py', 'by_image/x'] }],
    ['a file at the top and one in a folder: the workspace mounted', rule({ path: ['test_all.sh', '{root}/tests'] }), { name: 'x', root: 'images/x' }, { 'test_all.sh': true, 'images/x/tests': false }, { paths: ['test_all.sh', 'images/x/tests'], mount: '.', within: ['test_all.sh', 'images/x/tests'] }],
    ['folders that share only a prefix of a name are not one folder', rule({ path: ['tests1/a.sh', 'tests2/{name}.sh'] }), { name: 'x', root: 'x' }, { 'tests1/a.sh': true, 'tests2/x.sh': true }, { paths: ['tests1/a.sh', 'tests2/x.sh'], mount: '.', within: ['tests1/a.sh', 'tests2/x.sh'] }],
    ['the rule\'s mount over the common folder', rule({ path: ['tests/a/test_all.py', 'tests/a/test_{name}.py'], mount: 'tests' }), { name: 'x', root: 'x' }, { 'tests/a/test_all.py': true, 'tests/a/test_x.py': true }, { paths: ['tests/a/test_all.py', 'tests/a/test_x.py'], mount: 'tests', within: ['a/test_all.py', 'a/test_x.py'] }],
    ['two paths that come to the same place are one', rule({ path: ['tests/test_{name}.py', 'tests/test_{name_}.py'] }), { name: 'plain', root: 'plain' }, { 'tests/test_plain.py': true }, { paths: ['tests/test_plain.py'], mount: 'tests', within: ['test_plain.py'] }],
  ])('%s', (_case, given, image, exists, expected) => {
    const located = locateTests(given, image);
    const found = located.filter((location) => location.path in exists).map((location) => ({ path: location.path, isFile: exists[location.path] ?? false }));
    expect({ paths: found.map((entry) => entry.path), ...mountOf(found, located[0]?.mount ?? '') }).toEqual(expected);
  });

  it('locates every path of the rule, found or not, in its order', () => {
    expect(locateTests(rule({ path: ['tests/test_all.py', 'tests/test_{name}.py', '{root}/tests'], mount: 'tests' }), { name: 'a', root: 'tests/a' })).toEqual([
      { path: 'tests/test_all.py', mount: 'tests' },
      { path: 'tests/test_a.py', mount: 'tests' },
      { path: 'tests/a/tests', mount: 'tests' },
    ]);
  });

  it.each<[string, TestRule, { name: string; root: string }, Partial<Problem>]>([
    ['an image root outside the workspace', DEFAULT_TEST_RULE, { name: 'a', root: '../elsewhere/a' }, { image: 'a', subject: 'tests.path', problem: '"../elsewhere/a/tests" is not inside the workspace' }],
    ['an absolute image root', DEFAULT_TEST_RULE, { name: 'a', root: '/abs/a' }, { image: 'a', subject: 'tests.path', problem: '"/abs/a/tests" is not inside the workspace' }],
    ['the second path of a list outside the workspace', rule({ path: ['tests/test_all.py', '{root}/tests'] }), { name: 'a', root: '../a' }, { image: 'a', subject: 'tests.path', problem: '"../a/tests" is not inside the workspace' }],
  ])('refuses %s', (_case, given, image, fields) => {
    expect(() => locateTests(given, image)).toThrow(expect.objectContaining(fields));
  });
});

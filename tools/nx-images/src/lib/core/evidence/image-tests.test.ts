import { describe, expect, it } from 'vitest';
import { builtFromChain, casesFromJunit, describeResult, excerpt, junitXml, needsPython, planSuite, resultOf, suiteCommand, xmlText, type FoundTests, type TestCase } from './image-tests';

describe('suiteCommand', () => {
  const file = (name: string, executable = false) => ({ name, executable });
  it.each<[string, ReturnType<typeof file>[], string[] | undefined, ReturnType<typeof suiteCommand>]>([
    [
      'pytest when there are test_*.py files, its report where the runner reads it',
      [file('test_imports.py'), file('conftest.py'), file('run.sh', true)],
      undefined,
      { kind: 'pytest', argv: ['python', '-m', 'pytest', '-v', '-p', 'no:cacheprovider', '--junitxml=/image-tests-report/tractor.xml', '/image-tests/tractor'] },
    ],
    ['every executable file, in name order, otherwise', [file('b.sh', true), file('README.md'), file('a.sh', true)], undefined, { kind: 'scripts', scripts: ['a.sh', 'b.sh'] }],
    ['the configured command over anything', [file('test_x.py')], ['sh', 'run-all.sh'], { kind: 'command', argv: ['sh', 'run-all.sh'] }],
    ['an empty configured command is no command', [file('a.sh', true)], [], { kind: 'scripts', scripts: ['a.sh'] }],
    ['nothing to run', [file('README.md'), file('data.csv')], undefined, undefined],
    ['a python file that is not test_*.py is not a pytest suite', [file('helpers.py')], undefined, undefined],
  ])('%s', (_case, files, configured, command) => {
    expect(suiteCommand(files, 'tractor', configured)).toEqual(command);
  });
});

describe('planSuite', () => {
  type Found = FoundTests['paths'][number];
  const script = (path: string, within: string, executable = true): Found => ({ path, within, found: { kind: 'file', executable } });
  const folder = (path: string, within: string, files: [string, boolean][]): Found => ({ path, within, found: { kind: 'folder', files: files.map(([name, executable]) => ({ name, executable })) } });
  const base: FoundTests = { name: 'env-core', run: 'image', mount: 'tests', paths: [script('tests/test_env_core.sh', 'test_env_core.sh')], command: [] };
  const pytestArgs = ['python', '-m', 'pytest', '-v', '-p', 'no:cacheprovider'];
  it.each<[string, Partial<FoundTests>, ReturnType<typeof planSuite>]>([
    ['an executable file runs as the one script, from the mount', {}, [{ kind: 'scripts', scripts: ['test_env_core.sh'] }]],
    ['a file that is not executable and no test_*.py: nothing to run', { paths: [script('tests/test_env_core.sh', 'test_env_core.sh', false)] }, []],
    ['no path found: nothing to run', { paths: [] }, []],
    [
      'a test_*.py file: pytest on that file alone, in its mounted folder',
      { name: 'fornax-hea', paths: [script('tests/test_fornax_hea.py', 'test_fornax_hea.py', false)] },
      [{ kind: 'pytest', argv: [...pytestArgs, '--junitxml=/image-tests-report/fornax-hea.xml', '/image-tests/fornax-hea/test_fornax_hea.py'] }],
    ],
    [
      'a common file and the image\'s own: one pytest run on both, in the rule\'s order',
      { name: 'fornax-hea', paths: [script('tests/test_all.py', 'test_all.py', false), script('tests/test_fornax-hea.py', 'test_fornax-hea.py', false)] },
      [{ kind: 'pytest', argv: [...pytestArgs, '--junitxml=/image-tests-report/fornax-hea.xml', '/image-tests/fornax-hea/test_all.py', '/image-tests/fornax-hea/test_fornax-hea.py'] }],
    ],
    [
      'only the common file: it alone',
      { paths: [script('tests/test_all.py', 'test_all.py', false)] },
      [{ kind: 'pytest', argv: [...pytestArgs, '--junitxml=/image-tests-report/env-core.xml', '/image-tests/env-core/test_all.py'] }],
    ],
    [
      'a common script and the image\'s own: both, in the rule\'s order',
      { paths: [script('tests/common_test.sh', 'common_test.sh'), script('tests/test_env_core.sh', 'test_env_core.sh')] },
      [{ kind: 'scripts', scripts: ['common_test.sh', 'test_env_core.sh'] }],
    ],
    [
      'a pytest file and a folder of scripts: pytest first, then the scripts',
      { paths: [script('tests/test_all.py', 'test_all.py', false), folder('tests/by_image/env-core', 'by_image/env-core', [['run.sh', true], ['notes.md', false]])] },
      [
        { kind: 'pytest', argv: [...pytestArgs, '--junitxml=/image-tests-report/env-core.xml', '/image-tests/env-core/test_all.py'] },
        { kind: 'scripts', scripts: ['by_image/env-core/run.sh'] },
      ],
    ],
    [
      'a folder with test_*.py among several: pytest on the folder, its scripts left to pytest',
      { paths: [folder('tests/common', 'common', [['test_a.py', false], ['helper.sh', true]]), script('tests/test_env_core.py', 'test_env_core.py', false)] },
      [{ kind: 'pytest', argv: [...pytestArgs, '--junitxml=/image-tests-report/env-core.xml', '/image-tests/env-core/common', '/image-tests/env-core/test_env_core.py'] }],
    ],
    [
      'a folder inside a wider mount: its scripts named from the mount',
      { paths: [folder('tests/by_image/env-core', 'by_image/env-core', [['b.sh', true], ['a.sh', true], ['notes.md', false]])] },
      [{ kind: 'scripts', scripts: ['by_image/env-core/a.sh', 'by_image/env-core/b.sh'] }],
    ],
    [
      'a configured command in the image: placeholders as the container sees them',
      { command: ['sh', '{path}', '--name={name_}', '--report={report}'] },
      [{ kind: 'command', argv: ['sh', '/image-tests/env-core/test_env_core.sh', '--name=env_core', '--report=/image-tests-report/env-core.xml'] }],
    ],
    [
      'a configured command and two paths: {path} alone is a word per path, inside a word they are joined by spaces',
      { command: ['run', '{path}', '--all={path}'], paths: [script('tests/test_all.sh', 'test_all.sh'), script('tests/test_env_core.sh', 'test_env_core.sh')] },
      [{ kind: 'command', argv: ['run', '/image-tests/env-core/test_all.sh', '/image-tests/env-core/test_env_core.sh', '--all=/image-tests/env-core/test_all.sh /image-tests/env-core/test_env_core.sh'] }],
    ],
    [
      'on the host, by default: pytest with the resolved python on the path from the workspace root; the report filled in later',
      { run: 'host', mount: 'tests/by_image/env-core', paths: [folder('tests/by_image/env-core', '', [])], python: '/usr/bin/python3.12' },
      [{ kind: 'host', argv: ['/usr/bin/python3.12', '-m', 'pytest', '-v', '-p', 'no:cacheprovider', '--junitxml={report}', 'tests/by_image/env-core'] }],
    ],
    [
      'on the host, a common file and the image\'s folder: pytest on both',
      { run: 'host', mount: 'tests', paths: [script('tests/test_all.py', 'test_all.py', false), folder('tests/by_image/env-core', 'by_image/env-core', [])], python: '/p/python' },
      [{ kind: 'host', argv: ['/p/python', '-m', 'pytest', '-v', '-p', 'no:cacheprovider', '--junitxml={report}', 'tests/test_all.py', 'tests/by_image/env-core'] }],
    ],
    [
      'on the host, a configured command, even with nothing pytest would collect',
      { run: 'host', paths: [folder('tests/by_image/env.core', '', [])], name: 'env.core', command: ['sh', '{path}/run.sh', '{name_}'] },
      [{ kind: 'host', argv: ['sh', 'tests/by_image/env.core/run.sh', 'env_core'] }],
    ],
  ])('%s', (_case, change, expected) => {
    expect(planSuite({ ...base, ...change })).toEqual(expected);
  });

  it.each<[string, 'image' | 'host', string[], boolean]>([
    ['a host run with no command', 'host', [], true],
    ['a host command naming {python}', 'host', ['{python}', 'run.py'], true],
    ['a host command of its own', 'host', ['/usr/bin/env', 'bash', 'x'], false],
    ['a run in the image', 'image', [], false],
  ])('needsPython: %s', (_case, run, command, expected) => {
    expect(needsPython(run, command)).toBe(expected);
  });
});

describe('excerpt', () => {
  it.each<[string, string, string]>([
    ['keeps the first lines', 'one\ntwo\nthree', 'one\ntwo\nthree'],
    ['drops blank lines and CRs', 'one\r\n\r\n  \ntwo', 'one\ntwo'],
    ['strips escape sequences', '\u001b[31mFAILED\u001b[0m test_x', 'FAILED test_x'],
    ['drops control characters and broken bytes', 'bin\u0000ary\u0007 \ufffd\ufffdok', 'binary ok'],
    ['cuts long lines', 'x'.repeat(200), `${'x'.repeat(160)}…`],
  ])('%s', (_case, output, expected) => {
    expect(excerpt(output)).toBe(expected);
  });

  it('says how much more there was', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
    expect(excerpt(lines).split('\n')).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5', '… 994 more line(s)']);
  });
});

describe('junitXml and casesFromJunit', () => {
  const cases: TestCase[] = [
    { suite: 'base_image', name: 'imports.sh', passed: true },
    { suite: 'tractor', name: 'run & "quote" <tag>', passed: false, excerpt: 'exit code 1\nboom: \'x\' < y & z' },
  ];

  it('round-trips the cases through a JUnit report', () => {
    const xml = junitXml(cases);
    expect(xml).toContain('<testsuite name="tractor" tests="1" failures="1">');
    expect(casesFromJunit(xml, 'tractor')).toEqual([
      { suite: 'tractor', name: 'base_image.imports.sh', passed: true },
      { suite: 'tractor', name: 'tractor.run & "quote" <tag>', passed: false, excerpt: 'exit code 1\nboom: \'x\' < y & z' },
    ]);
  });

  it('reads pytest\'s own report: failures and errors fail, the rest pass', () => {
    const pytest = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" tests="3">
      <testcase classname="test_imports" name="test_astropy" time="0.1"/>
      <testcase classname="test_imports" name="test_numpy" time="0.1"><failure message="AssertionError: 1 != 2">assert 1 == 2</failure></testcase>
      <testcase classname="test_server" name="test_starts" time="0.2"><error message="fixture failed">Traceback</error></testcase>
    </testsuite></testsuites>`;
    expect(casesFromJunit(pytest, 'fornax-base')).toEqual([
      { suite: 'fornax-base', name: 'test_imports.test_astropy', passed: true },
      { suite: 'fornax-base', name: 'test_imports.test_numpy', passed: false, excerpt: 'AssertionError: 1 != 2\nassert 1 == 2' },
      { suite: 'fornax-base', name: 'test_server.test_starts', passed: false, excerpt: 'fixture failed\nTraceback' },
    ]);
  });

  it.each([['not XML', 'not <xml'], ['no test cases', '<testsuites/>'], ['empty', '']])('reads no case from %s', (_case, xml) => {
    expect(casesFromJunit(xml, 'x')).toEqual([]);
  });

  it('keeps XML whole whatever a name or output holds', () => {
    expect(xmlText('a<b>&"c\'\u0000\u0007d')).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
  });
});

describe('resultOf and describeResult', () => {
  it.each<[string, TestCase[], string]>([
    ['every case passed', [{ suite: 'a', name: 'x', passed: true }, { suite: 'a', name: 'y', passed: true }], 'passed (2 tests)'],
    ['one case passed', [{ suite: 'a', name: 'x', passed: true }], 'passed (1 test)'],
    ['a failure is named with its suite', [{ suite: 'a', name: 'x', passed: true }, { suite: 'b', name: 'y', passed: false, excerpt: 'e' }], 'failed: b/y'],
    ['no case at all is no pass', [], 'failed: no test ran'],
  ])('%s', (_case, cases, line) => {
    expect(describeResult(resultOf(cases, ['a']))).toBe(line);
  });

  it('says "no tests" for an image without any, and why tests were skipped', () => {
    expect(describeResult(undefined)).toBe('no tests');
    expect(describeResult({ result: 'skipped', suites: [], passed: 0, failed: 0, failures: [], reason: '[skip-tests] in the head commit message' })).toBe(
      'skipped: [skip-tests] in the head commit message',
    );
  });
});

describe('builtFromChain', () => {
  const finalBase: Record<string, string | undefined> = { 'fornax-hea': 'fornax-base', 'fornax-base': 'jupyter-base', 'jupyter-base': undefined, loop: 'loop' };
  it.each<[string, string[]]>([
    ['fornax-hea', ['fornax-hea', 'fornax-base', 'jupyter-base']],
    ['jupyter-base', ['jupyter-base']],
    ['loop', ['loop']],
  ])('%s', (image, chain) => {
    expect(builtFromChain(image, (name) => finalBase[name])).toEqual(chain);
  });
});

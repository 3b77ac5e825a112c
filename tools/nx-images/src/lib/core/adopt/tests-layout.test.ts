import { describe, expect, it } from 'vitest';
import { importedModules, installedPackages, runEvidence, testsLayout, type TestedImage, type TestsLayout } from './tests-layout';

const IMAGES: TestedImage[] = [
  { name: 'base-image', root: 'base-image' },
  { name: 'astro-tools', root: 'astro-tools' },
  { name: 'jupyter', root: 'jupyter' },
];
const INSTALLED = new Set(['numpy', 'astropy', 'jupyterlab']);
const DOCKER_TEST = 'import docker\n\ndef test_runs(): docker.from_env()\n';
const OWN_TEST = 'import astropy\n\ndef test_imports(): assert astropy\n';
const PLAIN_TEST = 'import os\n\ndef test_x(): assert os.sep\n';

/** Every folder of the files too, as the generator lists them. */
function treeOf(files: Record<string, string>): { paths: Set<string>; texts: Record<string, string> } {
  const paths = new Set<string>();
  for (const path of Object.keys(files)) {
    paths.add(path);
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) paths.add(path.slice(0, slash));
  }
  return { paths, texts: files };
}

describe('testsLayout', () => {
  // Each row: the test files (path -> text), then the rule, where they run, and whether it asks.
  it.each<[string, Record<string, string>, { tests?: TestsLayout['tests']; from?: RegExp; asks?: RegExp }]>([
    ['no tests at all', {}, { from: /^no image has tests yet/ }],
    ['<image>/tests, plain tests: the plugin\'s default, no rule', { 'base-image/tests/test_a.py': PLAIN_TEST }, { from: /^1 of 3 images have tests at \{root\}\/tests; they run in the image \(the default/ }],
    ['<image>/tests importing the image\'s packages: in the image, the default', { 'jupyter/tests/test_j.py': OWN_TEST }, { from: /they run in the image: 1 imports the images' own packages \(jupyter\/tests\/test_j\.py imports astropy, which the images install\)$/ }],
    ['<image>/tests driving containers: on the host', { 'jupyter/tests/test_j.py': DOCKER_TEST }, { tests: { path: '{root}/tests', run: 'host' }, from: /they run on the host: 1 test file drives containers \(jupyter\/tests\/test_j\.py imports docker\)$/ }],
    ['tests/test_<name_>.py: in the image, the folder mounted', { 'tests/test_astro_tools.py': PLAIN_TEST, 'tests/common.py': '' }, { tests: { path: 'tests/test_{name_}.py', mount: 'tests', run: 'image' } }],
    ['tests/test_<name>.py, "-" kept', { 'tests/test_astro-tools.py': PLAIN_TEST, 'tests/test_base-image.py': PLAIN_TEST }, { tests: { path: 'tests/test_{name}.py', mount: 'tests', run: 'image' }, from: /^2 of 3 images have tests at tests\/test_\{name\}\.py;/ }],
    [
      'tests/test_all.py beside tests/test_<name>.py: every image runs it first',
      { 'tests/test_all.py': OWN_TEST, 'tests/test_astro-tools.py': OWN_TEST },
      { tests: { path: ['tests/test_all.py', 'tests/test_{name}.py'], mount: 'tests', run: 'image' }, from: /^1 of 3 images have tests at tests\/test_\{name\}\.py, and every image runs tests\/test_all\.py; they run in the image: 2 import/ },
    ],
    ['tests/test_all.py alone: with the generator\'s own rule beside it', { 'tests/test_all.py': PLAIN_TEST }, { tests: { path: ['tests/test_all.py', 'tests/test_{name_}.py'], mount: 'tests', run: 'image' } }],
    ['tests/test_common.py too', { 'tests/test_common.py': PLAIN_TEST, 'tests/test_jupyter.py': PLAIN_TEST }, { tests: { path: ['tests/test_common.py', 'tests/test_{name_}.py'], mount: 'tests', run: 'image' } }],
    ['a common file and host tests: on the host, no mount', { 'tests/test_all.py': DOCKER_TEST, 'tests/test_jupyter.py': DOCKER_TEST }, { tests: { path: ['tests/test_all.py', 'tests/test_{name_}.py'], run: 'host' } }],
    ['tests/by_image/<name> with the Docker SDK: on the host', { 'tests/by_image/jupyter/test_j.py': DOCKER_TEST, 'tests/by_image/base-image/test_b.py': 'from docker.errors import NotFound\n' }, { tests: { path: 'tests/by_image/{name}', run: 'host' }, from: /they run on the host: 2 test files drive containers/ }],
    ['testcontainers', { 'tests/by_image/jupyter/test_j.py': 'from testcontainers.core.container import DockerContainer\n' }, { tests: { path: 'tests/by_image/{name}', run: 'host' } }],
    ['python_on_whales', { 'tests/by_image/jupyter/test_j.py': 'from python_on_whales import docker\n' }, { tests: { path: 'tests/by_image/{name}', run: 'host' } }],
    [
      'a container fixture from a conftest.py above the tests',
      { 'tests/conftest.py': 'import pytest\n\n@pytest.fixture\ndef container(request):\n    return request\n', 'tests/by_image/jupyter/test_j.py': 'def test_up(container):\n    assert container\n' },
      { tests: { path: 'tests/by_image/{name}', run: 'host' }, from: /test_j\.py uses the container fixture of tests\/conftest\.py/ },
    ],
    [
      'a container argument with no such fixture is no evidence: asked',
      { 'tests/by_image/jupyter/test_j.py': 'def test_up(container):\n    assert container\n' },
      { tests: { path: 'tests/by_image/{name}' }, asks: /^Do the tests in tests\/by_image\/jupyter run inside the image \(image\) or on the host, given the image \(host\)\? Their files say neither\.$/ },
    ],
    ['tests/<name> importing the images\' packages: in the image', { 'tests/jupyter/test_j.py': 'from jupyterlab import __version__\n', 'tests/astro-tools/test_a.py': 'import numpy as np\n' }, { tests: { path: 'tests/{name}', run: 'image' } }],
    [
      'as many files of each kind: asked, with the evidence',
      { 'tests/by_image/jupyter/test_j.py': DOCKER_TEST, 'tests/by_image/astro-tools/test_a.py': OWN_TEST },
      { tests: { path: 'tests/by_image/{name}' }, asks: /\? 1 test file drives containers \(tests\/by_image\/jupyter\/test_j\.py imports docker\), 1 imports the images' own packages \(tests\/by_image\/astro-tools\/test_a\.py imports astropy, which the images install\)$/ },
    ],
    ['more host evidence than image evidence: on the host', { 'tests/by_image/jupyter/test_j.py': DOCKER_TEST, 'tests/by_image/jupyter/test_k.py': DOCKER_TEST, 'tests/by_image/astro-tools/test_a.py': OWN_TEST }, { tests: { path: 'tests/by_image/{name}', run: 'host' } }],
    ['one file with both: a tie, asked', { 'tests/by_image/jupyter/test_j.py': `${DOCKER_TEST}import astropy\n` }, { tests: { path: 'tests/by_image/{name}' }, asks: /1 test file drives containers .*, 1 imports/ }],
    ['a layout that does not say, with nothing in the files: asked', { 'tests/by_image/jupyter/test_j.py': PLAIN_TEST }, { tests: { path: 'tests/by_image/{name}' }, asks: /Their files say neither\.$/ }],
    ['a test of a layout that runs in the image by default but drives containers as often as it imports: asked', { 'tests/test_jupyter.py': DOCKER_TEST, 'tests/test_astro_tools.py': OWN_TEST }, { tests: { path: 'tests/test_{name_}.py', mount: 'tests' }, asks: /^Do the tests in tests\/test_astro_tools\.py run .*\? 1 test file drives containers/ }],
  ])('%s', (_case, files, expected) => {
    const { paths, texts } = treeOf(files);
    const layout = testsLayout(IMAGES, paths, texts, INSTALLED);
    expect(layout.tests).toEqual(expected.tests);
    if (expected.from) expect(layout.testsFrom).toMatch(expected.from);
    if (expected.asks) {
      expect(layout.question?.question).toMatch(expected.asks);
      expect(layout.question?.choices).toEqual(['image', 'host']);
    } else expect(layout.question).toBeUndefined();
  });
});

describe('importedModules', () => {
  it.each<[string, string, string[]]>([
    ['import a', 'import docker\n', ['docker']],
    ['a dotted import', 'import docker.errors\n', ['docker']],
    ['several, with as', 'import os, numpy as np,  astropy.units as u\n', ['os', 'numpy', 'astropy']],
    ['from a module', 'from testcontainers.core.container import DockerContainer\n', ['testcontainers']],
    ['from, in parentheses over lines', 'from python_on_whales import (\n    docker,\n)\n', ['python_on_whales']],
    ['indented, in a function', 'def f():\n    import docker\n', ['docker']],
    ['relative imports are the tests\' own', 'from . import common\nfrom .helpers import x\n', []],
    ['a comment or a string is no import', '# import docker\nx = "import docker"\n', []],
    ['after a semicolon is not read', 'import os; import docker\n', ['os']],
  ])('%s', (_case, text, expected) => {
    expect(importedModules(text)).toEqual(expected);
  });
});

describe('installedPackages', () => {
  it.each<[string, { path: string; text: string }[], string[]]>([
    ['a conda environment with a pip list', [{ path: 'a/environment.yml', text: 'name: base\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n  - astropy>=6  # units\n  - conda-forge::numpy\n  - pip:\n    - Tractor-Lib==1.0\n' }], ['astropy', 'numpy', 'tractor_lib']],
    ['a requirements file', [{ path: 'requirements-dev.txt', text: '# tools\nrequests==2\n-r other.txt\nscikit-learn>=1\n\n' }], ['requests', 'scikit_learn']],
    [
      'install lines of a Dockerfile, continuations joined, flags and variables left out',
      [{ path: 'a/Dockerfile', text: 'FROM x\nRUN pip install --no-cache-dir jupyterlab \\\n    "astroquery>=0.4" $EXTRA && apt-get install -y curl\nRUN mamba install -y -c conda-forge healpy && conda clean -a\n' }],
      ['jupyterlab', 'astroquery', 'healpy'],
    ],
    ['pytest and pip are everywhere: no evidence', [{ path: 'environment.yml', text: 'dependencies:\n  - pytest\n  - pip\n' }], []],
  ])('%s', (_case, files, expected) => {
    expect([...installedPackages(files)]).toEqual(expected);
  });
});

describe('runEvidence', () => {
  it('names each file and why, for both kinds', () => {
    const { paths, texts } = treeOf({ 't/test_a.py': 'import docker\nimport astropy\n', 't/test_b.py': 'import numpy\n', 't/test_c.py': 'import os\n', 'conftest.py': 'def container(): pass\n', 't/test_d.py': 'def test_x(tmp_path, container): pass\n' });
    expect(runEvidence(['t/test_a.py', 't/test_b.py', 't/test_c.py', 't/test_d.py', 't/missing.py'], paths, texts, INSTALLED)).toEqual({
      host: [
        { file: 't/test_a.py', why: 'imports docker' },
        { file: 't/test_d.py', why: 'uses the container fixture of conftest.py' },
      ],
      image: [
        { file: 't/test_a.py', why: 'imports astropy, which the images install' },
        { file: 't/test_b.py', why: 'imports numpy, which the images install' },
      ],
    });
  });
});

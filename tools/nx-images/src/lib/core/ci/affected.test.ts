import { describe, expect, it } from 'vitest';
import type { BuildInputs } from '../inputs/build-inputs';
import { decideImage, unreadFiles, type ImageFacts } from './affected';

const C = 'c'.repeat(40);
const inputs = (digest: string, files: string[], settings = 's1'): BuildInputs => ({ digest, files, settings });
const HEAD = inputs('d-head', ['images/a/Dockerfile', 'images/a/a.txt']);
const compared = { image: 'a', commit: C, buildAnyway: false, reason: `registry tag built from ${C.slice(0, 7)}` };
const facts = (over: Partial<ImageFacts>): ImageFacts => ({ image: 'a', head: HEAD, tests: ['tests/test_a.py'], comparison: compared, before: { inputs: inputs('d-old', HEAD.files), tests: ['tests/test_a.py'] }, changed: [], ...over });

describe('decideImage', () => {
  it.each<[string, Partial<ImageFacts>, { build: boolean; why: RegExp; retest?: string[]; files?: string[] }]>([
    ['the tag holds an image of the same inputs: nothing to build, whatever the compare commit', { tagged: { inputs: 'd-head', reference: 'r/a:main', revision: C } }, { build: false, why: /^same inputs as r\/a:main \(built from ccccccc\)$/ }],
    ['the tag\'s image has other inputs and the compare commit says build anyway', { tagged: { inputs: 'x', reference: 'r/a:main' }, comparison: { image: 'a', buildAnyway: true, reason: 'no registry tag yet; on main: building it' } }, { build: true, why: /^no registry tag yet; on main: building it$/ }],
    ['an input file changed', { changed: [{ path: 'images/a/a.txt' }, { path: 'README.md' }] }, { build: true, why: /compared with registry tag built from ccccccc: changed: images\/a\/a\.txt$/, files: ['images/a/a.txt'] }],
    ['a file removed from the context', { before: { inputs: inputs('d-old', [...HEAD.files, 'images/a/gone.txt']), tests: [] }, changed: [{ path: 'images/a/gone.txt' }] }, { build: true, why: /changed: images\/a\/gone\.txt$/ }],
    ['only its settings changed', { before: { inputs: inputs('d-old', HEAD.files, 's0'), tests: [] }, changed: [{ path: 'nx.json' }] }, { build: true, why: /: its build settings changed$/ }],
    ['same inputs at the compare commit: nothing to build', { before: { inputs: inputs('d-head', HEAD.files), tests: [] }, changed: [{ path: '.gitignore' }] }, { build: false, why: /: inputs unchanged$/ }],
    ['a new image', { before: { tests: [] } }, { build: true, why: /^new since ccccccc$/ }],
    ['a renamed image', { before: { tests: [], renamedFrom: 'old-a' } }, { build: true, why: /^renamed from old-a since ccccccc$/ }],
    ['only its tests changed: a retest', { before: { inputs: inputs('d-head', HEAD.files), tests: ['tests/test_a.py'] }, changed: [{ path: 'tests/test_a.py' }] }, { build: false, why: /inputs unchanged$/, retest: ['tests/test_a.py'] }],
    ['a test file that is also an input is built, not retested', { head: inputs('d-head', [...HEAD.files, 'images/a/tests/t.sh']), tests: ['images/a/tests/t.sh'], changed: [{ path: 'images/a/tests/t.sh' }], before: { inputs: inputs('d-old', [...HEAD.files, 'images/a/tests/t.sh']), tests: ['images/a/tests/t.sh'] } }, { build: true, why: /changed: images\/a\/tests\/t\.sh$/ }],
    ['a removed test file retests too', { tests: [], before: { inputs: inputs('d-head', HEAD.files), tests: ['tests/test_a.py'] }, changed: [{ path: 'tests/test_a.py' }] }, { build: false, why: /inputs unchanged$/, retest: ['tests/test_a.py'] }],
    ['tests changed while the tag already has the same inputs', { tagged: { inputs: 'd-head', reference: 'r/a:feature' }, changed: [{ path: 'tests/test_a.py' }] }, { build: false, why: /^same inputs as r\/a:feature$/, retest: ['tests/test_a.py'] }],
    ['a rename within the inputs names both paths', { changed: [{ path: 'images/a/a.txt', from: 'images/a/old.txt' }], before: { inputs: inputs('d-old', ['images/a/Dockerfile', 'images/a/old.txt']), tests: [] } }, { build: true, why: /changed: images\/a\/a\.txt, images\/a\/old\.txt$/ }],
  ])('%s', (_name, over, expected) => {
    const decision = decideImage(facts(over));
    expect(decision.build).toBe(expected.build);
    expect(decision.why).toMatch(expected.why);
    if (!decision.build) expect(decision.retest).toEqual(expected.retest);
    if (decision.build && expected.files) expect(decision.files).toEqual(expected.files);
  });
});

describe('unreadFiles', () => {
  it.each<[string[], string[][], string[]]>([
    [['README.md', 'images/a/a.txt', '.gitignore'], [['images/a/a.txt']], ['.gitignore', 'README.md']],
    [['docs/x.md'], [], ['docs/x.md']],
    [[], [['a']], []],
    [['a', 'a'], [], ['a']],
  ])('%j read by %j: %j', (changed, readers, expected) => {
    expect(unreadFiles(changed.map((path) => ({ path })), readers.map((files) => ({ files })))).toEqual(expected);
  });
});

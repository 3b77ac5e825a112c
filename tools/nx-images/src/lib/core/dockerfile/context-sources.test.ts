import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { contextSources, globMatcher, missingContextSources, missingSourceError, type ContextCheck, type MissingSource } from './context-sources';

describe('contextSources', () => {
  // Each row: a Dockerfile, then every source it reads from the context as `line:path` (a `*` after a wildcard).
  it.each<[string, string, string[]]>([
    ['one file', 'FROM scratch\nCOPY a.txt /a\n', ['2:a.txt']],
    ['several sources, the last argument is the destination', 'FROM scratch\nCOPY a b c /dst/\n', ['2:a', '2:b', '2:c']],
    ['ADD like COPY', 'FROM scratch\nADD a.tgz /x\n', ['2:a.tgz']],
    ['lower-case keywords', 'from scratch\ncopy a /a\nadd b /b\n', ['2:a', '3:b']],
    ['--chown, --chmod, --link and --parents are flags, not sources', 'FROM scratch\nCOPY --chown=1:1 --chmod=755 --link a /a\nCOPY --parents ./src/./x.py /app/\n', ['2:a', '3:src/x.py']],
    ['ADD --checksum and --keep-git-dir are flags', 'FROM scratch\nADD --checksum=sha256:0 --keep-git-dir=true a /a\n', ['2:a']],
    ['COPY --from a stage, an image or a number reads no context', 'FROM alpine AS a\nFROM scratch\nCOPY --from=a /x /x\nCOPY --from=alpine:3 /y /y\nCOPY --from=0 /z /z\nCOPY local /l\n', ['6:local']],
    ['ADD of URLs and git repositories reads no context', 'FROM scratch\nADD https://example.com/f.tgz /f\nADD http://x/y /y\nADD git@github.com:o/r.git /r\nADD git://h/r /g\nADD local /l\n', ['6:local']],
    ['JSON form, spaces and all', 'FROM scratch\nCOPY ["a b.txt", "c", "/dst/"]\n', ['2:a b.txt', '2:c']],
    ['JSON form after flags', 'FROM scratch\nCOPY --chown=1 ["x y", "/z"]\n', ['2:x y']],
    ['not JSON after all: shell form', 'FROM scratch\nCOPY [a /b\n', ['2:[a *']],
    ['a heredoc and its body are no sources', 'FROM scratch\nCOPY <<EOF /etc/file\nhello\nworld\nEOF\nCOPY after /after\n', ['6:after']],
    ['two heredocs', 'FROM scratch\nCOPY <<A <<B /dir/\na\nA\nb\nB\n', []],
    ['continuation lines and a comment among them', 'FROM scratch\nCOPY a \\\n  b \\\n  # note\n  c /d/\n', ['2:a', '2:b', '2:c']],
    ['the escape directive', '# escape=`\nFROM scratch\nCOPY a `\n  b /c\n', ['3:a', '3:b']],
    ['wildcards', 'FROM scratch\nCOPY *.txt s?c [ab].md /d/\n', ['2:*.txt *', '2:s?c *', '2:[ab].md *']],
    ['the context itself', 'FROM scratch\nCOPY . /app\nCOPY ./ /app2\n', ['2:', '3:']],
    ['a leading /, ./ and .. stay in the context', 'FROM scratch\nCOPY /etc/a ./b ../c x/../../d /z/\n', ['2:etc/a', '2:b', '2:c', '2:d']],
    ['a trailing slash names the folder', 'FROM scratch\nCOPY kernels/ /opt/kernels/\n', ['2:kernels']],
    ['quotes around a word', 'FROM scratch\nCOPY "a.txt" \'b.txt\' /d/\n', ['2:a.txt', '2:b.txt']],
    ['an ARG of the stage and an ENV fill the source', 'FROM scratch\nARG DIR=conf\nENV FILE=app.yml\nCOPY ${DIR}/$FILE /etc/\n', ['4:conf/app.yml']],
    ['a global ARG declared again in the stage takes its default', 'ARG DIR=conf\nFROM scratch\nARG DIR\nCOPY $DIR/x /x\n', ['4:conf/x']],
    ['a global ARG not declared in the stage is unknown there: left out', 'ARG DIR=conf\nFROM scratch\nCOPY $DIR/x /x\nCOPY y /y\n', ['4:y']],
    ['an arg with no value: left out; with a default in the text, that', 'FROM scratch\nARG NONE\nCOPY ${NONE}/x ${NONE:-def}/y /z/\n', ['3:def/y']],
    ['ONBUILD COPY runs in another build', 'FROM scratch\nONBUILD COPY x /x\n', []],
    ['multi-stage: every stage the last one needs', 'FROM alpine AS build\nCOPY src /src\nFROM alpine AS unused\nCOPY nothing /n\nFROM scratch\nCOPY --from=build /src /src\nCOPY final /f\n', ['2:src', '7:final']],
    ['multi-stage: a stage FROM another, and one mounted from', 'FROM alpine AS a\nCOPY a /a\nFROM a AS b\nCOPY b /b\nFROM alpine AS m\nCOPY m /m\nFROM b\nRUN --mount=type=bind,from=m,target=/m true\n', ['2:a', '4:b', '6:m']],
    ['unicode, "#" and a bracket in names', 'FROM scratch\nCOPY tést#1.txt ["ignored"] /d/\n', ['2:tést#1.txt', '2:["ignored"] *']],
  ])('%s', (_case, text, expected) => {
    expect(contextSources(text).map((source) => `${source.line}:${source.path}${source.wildcard ? ' *' : ''}`)).toEqual(expected);
  });

  it('the target stage and the stages it needs', () => {
    const text = 'FROM alpine AS one\nCOPY one /1\nFROM alpine AS two\nCOPY two /2\nFROM scratch\nCOPY last /l\n';
    expect(contextSources(text, {}, 'ONE').map((source) => source.path)).toEqual(['one']);
  });

  it('build args given over the defaults', () => {
    expect(contextSources('FROM scratch\nARG DIR=a\nCOPY $DIR/x /x\n', { DIR: 'b' }).map((source) => source.path)).toEqual(['b/x']);
  });

  it('names the instruction on one line', () => {
    const [first, second, third] = contextSources('FROM scratch\nCOPY --chown=1:1 a \\\n  b /c/\nCOPY ["x y", "/z"]\nCOPY <<EOF /etc/f\nbody\nEOF\nADD t.tgz /t\n');
    expect([first?.instruction, second?.instruction, third?.instruction]).toEqual(['COPY --chown=1:1 a b /c/', 'COPY --chown=1:1 a b /c/', 'COPY ["x y", "/z"]']);
    expect(contextSources('FROM scratch\ncopy --link ./a /b\n')[0]).toEqual({ line: 2, instruction: 'copy --link ./a /b', written: './a', path: 'a', wildcard: false });
  });
});

describe('globMatcher', () => {
  it.each<[string, string, boolean]>([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'dir/a.txt', false],
    ['*/a.txt', 'dir/a.txt', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[ab].md', 'b.md', true],
    ['[ab].md', 'c.md', false],
    ['[^ab].md', 'c.md', true],
    ['[^ab].md', 'a.md', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
    ['[\\]]', ']', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['[', '[', false],
    ['[]', ']', false],
    ['[z-a]', 'b', false],
    ['trailing\\', 'trailing\\', false],
    ['tést*', 'tést#1', true],
  ])('%s against %s: %s', (pattern, path, expected) => {
    expect(globMatcher(pattern)(path)).toBe(expected);
  });
});

describe('missingContextSources', () => {
  const IMAGE = 'fornax-jupyter';
  const check = (text: string, files: string[], extra: Partial<ContextCheck> = {}): ContextCheck => ({
    image: IMAGE,
    dockerfile: `${IMAGE}/Dockerfile`,
    text: `FROM scratch\n${text}`,
    context: IMAGE,
    files: [`${IMAGE}/Dockerfile`, ...files].map((path) => ({ path })),
    ignoreFile: '',
    ...extra,
  });
  const short = (missing: MissingSource) => `${missing.line}:${missing.written}:${missing.why}${missing.fails ? '' : ' (goes on)'}${missing.atRoot ? ` at root ${missing.atRoot}` : ''}`;
  const inside = (...paths: string[]) => paths.map((path) => `${IMAGE}/${path}`);

  // Each row: the instructions after FROM scratch (line 2 on), the workspace's files, the rest of the check, then what is missing.
  it.each<[string, string, string[], Partial<ContextCheck>, string[]]>([
    ['a file that is there', 'COPY a.txt /a\n', inside('a.txt'), {}, []],
    ['a file that is not', 'COPY a.txt /a\n', inside('b.txt'), {}, ['2:a.txt:missing']],
    ['a file at the repository root, not in the context', 'COPY introduction.md /opt/\n', ['introduction.md'], {}, ['2:introduction.md:missing at root introduction.md']],
    ['a folder at the repository root', 'COPY docs/ /opt/docs/\n', ['docs/a.md'], {}, ['2:docs/:missing at root docs']],
    ['a file of that name deeper in the repository is not at the root', 'COPY changes.md /opt/\n', ['other/changes.md'], {}, ['2:changes.md:missing']],
    ['a folder that is there', 'COPY kernels/ /opt/kernels/\n', inside('kernels/a/kernel.json'), {}, []],
    ['a folder that is not', 'COPY kernels/ /opt/kernels/\n', [], {}, ['2:kernels/:missing']],
    ['a prepare step\'s declared copy', 'COPY introduction.md /opt/\n', ['introduction.md'], { declared: inside('introduction.md') }, []],
    ['a folder whose parts a step extracts', 'COPY kernels/ /opt/kernels/\n', [], { declared: inside('kernels/env-core') }, []],
    ['a file inside a declared folder', 'COPY kernels/env-core/kernel.json /k\n', [], { declared: inside('kernels') }, []],
    ['a wildcard reaching inside a declared folder', 'COPY kernels/*/kernel.json /k/\n', [], { declared: inside('kernels') }, []],
    ['a declared output of another image does not count', 'COPY a /a\n', [], { declared: ['other-image/a'] }, ['2:a:missing']],
    ['a declared output the ignore file leaves out does not count', 'COPY a /a\n', [], { declared: inside('a'), ignoreFile: 'a\n' }, ['2:a:missing']],
    ['a file the ignore file leaves out', 'COPY secret.env /e\n', inside('secret.env'), { ignoreFile: '*.env\n' }, ['2:secret.env:ignored']],
    ['a folder the ignore file leaves out whole', 'COPY build/ /b\n', inside('build/x', 'build/y'), { ignoreFile: 'build\n' }, ['2:build/:ignored']],
    ['a folder of which the ignore file leaves some', 'COPY build/ /b\n', inside('build/x', 'build/y.log'), { ignoreFile: '**/*.log\n' }, []],
    ['an exception to an ignore rule', 'COPY keep.md /k\n', inside('keep.md'), { ignoreFile: '*.md\n!keep.md\n' }, []],
    ['comments and blank lines in the ignore file', 'COPY a /a\n', inside('a'), { ignoreFile: '# a\n\n   \n' }, []],
    ['a wildcard that matches', 'COPY *.txt /d/\n', inside('a.txt'), {}, []],
    ['a wildcard matching a folder', 'COPY ker* /d/\n', inside('kernels/k.json'), {}, []],
    ['a wildcard that matches nothing: the build goes on', 'COPY *.txt /d/\n', inside('a.md'), {}, ['2:*.txt:matches-nothing (goes on)']],
    ['a wildcard whose matches are all left out', 'COPY *.env /d/\n', inside('a.env'), { ignoreFile: '*.env\n' }, ['2:*.env:ignored (goes on)']],
    ['* does not cross a slash', 'COPY *.py /d/\n', inside('src/a.py'), {}, ['2:*.py:matches-nothing (goes on)']],
    ['?, [...] and [^...]', 'COPY a?c [xy].md [^q]z /d/\n', inside('abc', 'y.md', 'rz'), {}, []],
    ['a class that matches nothing', 'COPY [xy].md /d/\n', inside('z.md'), {}, ['2:[xy].md:matches-nothing (goes on)']],
    ['the context itself', 'COPY . /app\n', [], {}, []],
    ['a file at the root of a context that is the root', 'COPY README.md /r\n', ['README.md'], { context: '', dockerfile: 'Dockerfile' }, []],
    ['a context that is the root: nothing is "at the root" beside it', 'COPY nope /n\n', ['README.md'], { context: '.', dockerfile: 'Dockerfile' }, ['2:nope:missing']],
    ['a file of another context of the same name prefix is not in this one', 'COPY a /a\n', ['fornax-jupyter-2/a'], {}, ['2:a:missing']],
    ['COPY --from is never looked for', 'COPY --from=alpine /etc/os-release /x\n', [], {}, []],
    ['ADD of a URL is never looked for', 'ADD https://example.com/x.tgz /x\n', [], {}, []],
    ['a heredoc is never looked for', 'COPY <<EOF /etc/x\nhello\nEOF\n', [], {}, []],
    ['flags and the JSON form', 'COPY --chown=1 --chmod=644 --link ["a b.txt", "/d/"]\nCOPY --parents ./x/./y.py /app/\n', inside('a b.txt', 'x/y.py'), {}, []],
    ['a stage the build does not need is not checked', 'FROM alpine AS unused\nCOPY missing /m\nFROM scratch\nCOPY a /a\n', inside('a'), {}, []],
    ['a needed stage is', 'FROM alpine AS deps\nCOPY missing /m\nFROM scratch\nCOPY --from=deps /m /m\n', [], {}, ['3:missing:missing']],
    ['the target stage', 'FROM alpine AS dev\nCOPY dev-only /d\nFROM scratch\nCOPY prod-only /p\n', [], { target: 'dev' }, ['3:dev-only:missing']],
    ['each source of an instruction on its own', 'COPY a b c /d/\n', inside('b'), {}, ['2:a:missing', '2:c:missing']],
    ['a source made of an unknown arg cannot be known', 'COPY $NOPE/x /x\n', [], {}, []],
    ['unicode and # in a name', 'COPY tést#1.md /t\n', ['tést#1.md'], {}, ['2:tést#1.md:missing at root tést#1.md']],
    ['a 300-character name', `COPY ${'n'.repeat(300)} /n\n`, inside('n'.repeat(300)), {}, []],
    ['a trailing slash on the context is tidied', 'COPY a /a\n', inside('a'), { context: `${IMAGE}/` }, []],
  ])('%s', (_case, text, files, extra, expected) => {
    expect(missingContextSources(check(text, files, extra)).map(short)).toEqual(expected);
  });

  it('says where, what and what to do, and renders as one line', () => {
    const [missing] = missingContextSources(check('COPY kernels/ /opt/kernels/\nCOPY introduction.md /opt/introduction.md\n', ['introduction.md'], { declared: inside('kernels/env-core') }));
    expect(missing).toMatchObject({
      image: IMAGE,
      dockerfile: 'fornax-jupyter/Dockerfile',
      line: 3,
      instruction: 'COPY introduction.md /opt/introduction.md',
      written: 'introduction.md',
      inContext: 'fornax-jupyter/introduction.md',
      atRoot: 'introduction.md',
      why: 'missing',
      fails: true,
    });
    const error = missingSourceError(missing);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ image: IMAGE, subject: 'fornax-jupyter/Dockerfile:3 COPY introduction.md /opt/introduction.md', problem: 'introduction.md is not in the build context fornax-jupyter (it is at the repository root)' });
    expect(error.fix).toContain('{ "from": "introduction.md", "to": "introduction.md" }');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^fornax-jupyter: fornax-jupyter\/Dockerfile:3 COPY introduction\.md \/opt\/introduction\.md: introduction\.md is not in the build context fornax-jupyter/);
  });

  it('a source found nowhere: the fix names the ways to provide it', () => {
    const [missing] = missingContextSources(check('COPY kernels/ /opt/kernels/\n', []));
    expect(missing?.fix).toBe('add it to the context, declare it as the "to" of a prepare step\'s copy or extract (or a step\'s outputs), or remove it from the instruction');
    expect(missing?.atRoot).toBeUndefined();
  });
});

import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve, sep } from 'node:path';
import { DockerfileParser, JSONInstruction } from 'dockerfile-ast';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';

// The real images cannot be built here (no internet), so this is what keeps them honest:
// they parse, pass the Dockerfile linter, copy only files that exist, and keep the FROM contract.

const workspaceRoot = resolve(__dirname, '../../..');
const imagesDir = join(workspaceRoot, 'images');

// The build machinery passes these build args to every image except base_image.
const CONTRACT = [
  'ARG REGISTRY=ghcr.io',
  'ARG REPOSITORY=nasa-fornax/fornax-images',
  'ARG BASE_IMAGE_TAG=main',
  'FROM ${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}',
];

// Every optional check raised to at least a warning, so "zero diagnostics" also means zero warnings.
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

function imageDirsWithDockerfile(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'Dockerfile')))
    .map((entry) => entry.name)
    .sort();
}

function lintFindings(content: string): string[] {
  return validate(content, STRICT).map((d) => {
    const message = typeof d.message === 'string' ? d.message : d.message.value;
    return `line ${d.range.start.line + 1}: ${d.severity === ValidationSeverity.ERROR ? 'error' : 'warning'}: ${message}`;
  });
}

function instructionArgs(instruction: JSONInstruction): string[] {
  if (instruction.getJSONStrings().length > 0) {
    return instruction.getJSONStrings().map((s) => s.getJSONValue());
  }
  return instruction.getArguments().map((a) => a.getValue());
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split(sep).join('/'));
}

// Docker's COPY globs: `*` and `?` within one path segment, `[...]` classes.
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}(/.*)?$`);
}

/** Problems with the context sources of every COPY/ADD that reads the build context. */
function missingCopySources(content: string, contextDir: string): string[] {
  const problems: string[] = [];
  const dockerfile = DockerfileParser.parse(content);
  const contextFiles = filesUnder(contextDir);
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    // COPY and ADD are the only instructions that read the build context (RUN --mount aside).
    if ((keyword !== 'COPY' && keyword !== 'ADD') || !(instruction instanceof JSONInstruction)) continue;
    if (instruction.getFlags().some((f) => f.getName() === 'from')) continue; // copies from another stage or image
    const line = instruction.getRange().start.line + 1;
    const sources = instructionArgs(instruction).slice(0, -1);
    if (sources.length === 0) problems.push(`line ${line}: ${keyword} has no source`);
    for (const source of sources) {
      if (keyword === 'ADD' && /^(https?|git):\/\/|^git@/.test(source)) continue;
      if (source.includes('$')) {
        problems.push(`line ${line}: ${keyword} source "${source}" uses a variable; use a literal path so it can be checked`);
        continue;
      }
      const normalized = posix.normalize(source.replace(/^\/+/, ''));
      if (normalized === '..' || normalized.startsWith('../')) {
        problems.push(`line ${line}: ${keyword} source "${source}" is outside the build context`);
        continue;
      }
      const found = /[*?[]/.test(normalized)
        ? contextFiles.some((f) => globToRegExp(normalized).test(f))
        : normalized === '.' || existsSync(join(contextDir, normalized));
      if (!found) problems.push(`line ${line}: ${keyword} source "${source}" does not exist in ${relative(workspaceRoot, contextDir) || contextDir}`);
    }
  }
  return problems;
}

function contractProblems(content: string, others: readonly string[] = ['base_image']): string[] {
  const head = content.split(/\r?\n/).slice(0, CONTRACT.length);
  return CONTRACT.flatMap((expected, i) => {
    // An image may start from any other image of this repository (the generator's --from), not only base_image.
    const allowed = i === CONTRACT.length - 1 ? others.map((other) => expected.replace('/base_image:', `/${other}:`)) : [expected];
    return allowed.includes(head[i] ?? '') ? [] : [`line ${i + 1} is "${head[i] ?? ''}", expected "${expected}"`];
  });
}

/** base_image must start from an upstream image chosen by an ARG whose default is pinned. */
function upstreamPinProblems(content: string): string[] {
  const dockerfile = DockerfileParser.parse(content);
  const from = dockerfile.getFROMs().at(0);
  if (from === undefined) return ['no FROM instruction'];
  const image = from.getImage() ?? '';
  const match = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(image);
  if (!match) return [`FROM "${image}" should be an ARG (e.g. \${UPSTREAM_IMAGE}) so a mirror can be used`];
  const arg = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === match[1]);
  const value = arg?.getProperty()?.getValue();
  if (!value) return [`ARG ${match[1]} before FROM has no default image`];
  const pinned = /@sha256:[0-9a-f]{64}$/.test(value) || /:[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value);
  return pinned ? [] : [`upstream image "${value}" is not pinned by a date tag or digest`];
}

const images = imageDirsWithDockerfile(imagesDir);

describe('image Dockerfiles', () => {
  it('discovers base_image and tractor among the images', () => {
    expect(images).toEqual(expect.arrayContaining(['base_image', 'tractor']));
  });

  describe.each(images)('images/%s/Dockerfile', (image) => {
    const contextDir = join(imagesDir, image);
    const content = readFileSync(join(contextDir, 'Dockerfile'), 'utf8');

    it('parses into instructions with a FROM', () => {
      const dockerfile = DockerfileParser.parse(content);
      expect(dockerfile.getInstructions().length).toBeGreaterThan(0);
      expect(dockerfile.getFROMs().length).toBeGreaterThan(0);
    });

    it('has no lint errors or warnings', () => {
      expect(lintFindings(content)).toEqual([]);
    });

    it('copies only files that exist in its folder', () => {
      expect(missingCopySources(content, contextDir)).toEqual([]);
    });

    if (image === 'base_image') {
      it('starts from a pinned upstream image chosen by an ARG', () => {
        expect(upstreamPinProblems(content)).toEqual([]);
      });
    } else {
      it('begins with the FROM contract, starting from another image of this repository', () => {
        expect(contractProblems(content, images.filter((other) => other !== image))).toEqual([]);
      });
    }
  });
});

// The same checks against broken Dockerfiles, so a check that silently passes everything shows up here.
describe('the checks catch broken Dockerfiles', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fornax-dockerfile-checks-'));
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  function context(files: Record<string, string>): string {
    const dir = mkdtempSync(join(scratch, 'ctx-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, posix.dirname(name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it.each([
    ['an unknown instruction', 'FROM scratch\nCOPYY a /a\n', /Unknown instruction/i],
    ['a lowercase instruction', 'from scratch\n', /uppercase/i],
    ['a relative WORKDIR', 'FROM scratch\nWORKDIR app\n', /absolute/i],
    ['a MAINTAINER line', 'FROM scratch\nMAINTAINER someone\n', /deprecated/i],
    ['a missing FROM', 'RUN true\n', /FROM/],
  ])('lint reports %s', (_name, content, message) => {
    const findings = lintFindings(content);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.join('\n')).toMatch(message);
  });

  it.each([
    ['a missing file', 'FROM scratch\nCOPY nope.txt /x\n', {}, /"nope.txt" does not exist/],
    ['a glob matching nothing', 'FROM scratch\nCOPY *.yml /x/\n', { 'a.txt': '' }, /"\*\.yml" does not exist/],
    ['a path outside the context', 'FROM scratch\nCOPY ../secret /x\n', {}, /outside the build context/],
    ['a variable source', 'FROM scratch\nARG F=a\nCOPY ${F} /x\n', { a: '' }, /uses a variable/],
    ['a missing JSON-form source', 'FROM scratch\nCOPY ["gone.sh", "/x"]\n', {}, /"gone.sh" does not exist/],
    ['a missing ADD source', 'FROM scratch\nADD gone.tar /x\n', {}, /"gone.tar" does not exist/],
  ])('COPY check reports %s', (_name, content, files, message) => {
    expect(missingCopySources(content, context(files)).join('\n')).toMatch(message);
  });

  it.each([
    ['COPY --from of another stage', 'FROM scratch AS a\nFROM scratch\nCOPY --from=a /x /x\n', {}],
    ['a present file', 'FROM scratch\nCOPY a.txt /x\n', { 'a.txt': '' }],
    ['a glob that matches', 'FROM scratch\nCOPY *.txt sub/ /x/\n', { 'a.txt': '', 'sub/b': '' }],
    ['an ADD of a URL', 'FROM scratch\nADD https://example.org/x.tgz /x\n', {}],
  ])('COPY check accepts %s', (_name, content, files) => {
    expect(missingCopySources(content, context(files))).toEqual([]);
  });

  it.each([
    ['a swapped first line', CONTRACT.slice().reverse().join('\n')],
    ['a different registry default', ['ARG REGISTRY=docker.io', ...CONTRACT.slice(1)].join('\n')],
    ['a comment before the contract', ['# tractor', ...CONTRACT].join('\n')],
    ['a hard-coded FROM', [...CONTRACT.slice(0, 3), 'FROM ghcr.io/nasa-fornax/fornax-images/base_image:main'].join('\n')],
  ])('contract check reports %s', (_name, content) => {
    expect(contractProblems(content)).not.toEqual([]);
  });

  it('contract check accepts the contract followed by more instructions', () => {
    expect(contractProblems([...CONTRACT, 'RUN true', ''].join('\n'))).toEqual([]);
  });

  it.each([
    ['a literal upstream', 'FROM quay.io/jupyter/scipy-notebook:2025-12-31\n', /should be an ARG/],
    ['an unpinned default', 'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:latest\nFROM ${UPSTREAM_IMAGE}\n', /not pinned/],
    ['no default', 'ARG UPSTREAM_IMAGE\nFROM ${UPSTREAM_IMAGE}\n', /no default/],
  ])('upstream pin check reports %s', (_name, content, message) => {
    expect(upstreamPinProblems(content).join('\n')).toMatch(message);
  });

  it.each([
    'ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook:2025-12-31\nFROM ${UPSTREAM_IMAGE}\n',
    `ARG UPSTREAM_IMAGE=quay.io/jupyter/scipy-notebook@sha256:${'a'.repeat(64)}\nFROM $UPSTREAM_IMAGE\n`,
  ])('upstream pin check accepts %s', (content) => {
    expect(upstreamPinProblems(content)).toEqual([]);
  });
});

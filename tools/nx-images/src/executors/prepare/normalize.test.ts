import { describe, expect, it } from 'vitest';
import type { Problem } from '../../lib/core/errors';
import { normalizePrepareOptions, type PrepareFacts } from './normalize';
import type { PrepareExecutorSchema } from './schema';

const facts = (over: Partial<PrepareFacts> = {}): PrepareFacts => ({
  projectName: 'fornax-jupyter',
  projectRoot: 'images/fornax-jupyter',
  workspaceRoot: '/ws',
  images: ['env-core', 'fornax-jupyter', 'fornax-nb'],
  buildDependencies: ['env-core', 'fornax-nb'],
  buildTarget: 'docker-build',
  defaultBranch: 'main',
  env: { IMAGE_REPOSITORY: 'nasa-fornax/fornax-images' },
  gitBranch: 'feature/Kernels#2',
  ...over,
});

describe('normalizePrepareOptions', () => {
  it('fills every default: this branch\'s tag, then the default branch\'s; the local engine first', () => {
    const step = normalizePrepareOptions(
      { copy: [{ from: 'introduction.md', to: 'introduction.md' }], extract: [{ image: 'env-core', path: '/opt/kernels/env-core/', to: 'kernels/env-core' }] },
      facts(),
    );
    expect(step).toMatchObject({ registry: 'ghcr.io', repository: 'nasa-fornax/fornax-images', tag: 'feature-Kernels-2', defaultTag: 'main', push: false, dryRun: false });
    expect(step.copies).toEqual([{ from: '/ws/introduction.md', to: '/ws/images/fornax-jupyter/introduction.md', shownFrom: 'introduction.md', shownTo: 'images/fornax-jupyter/introduction.md' }]);
    expect(step.extracts[0]).toMatchObject({ image: 'env-core', path: '/opt/kernels/env-core/', to: '/ws/images/fornax-jupyter/kernels/env-core' });
    expect(step.extracts[0]?.question).toEqual({ image: 'env-core', name: 'ghcr.io/nasa-fornax/fornax-images/env-core', tags: ['feature-Kernels-2', 'main'], from: 'branch', local: true });
  });

  it.each<[string, Record<string, string>, PrepareExecutorSchema, { registry: string; tag: string; defaultTag: string; push: boolean; tags: string[] }]>([
    ['the run\'s variables, as CI sets them', { IMAGE_REGISTRY: 'localhost:5000', IMAGE_TAG: 'pr-7', IMAGE_BASE_TAG_FALLBACK: 'develop', IMAGE_PUSH: 'true' }, {}, { registry: 'localhost:5000', tag: 'pr-7', defaultTag: 'develop', push: true, tags: ['pr-7', 'develop'] }],
    ['options win over the variables', { IMAGE_TAG: 'pr-7', IMAGE_PUSH: 'true' }, { tag: 'x', baseTagFallback: 'y', push: false, registry: 'r.example:1' }, { registry: 'r.example:1', tag: 'x', defaultTag: 'y', push: false, tags: ['x', 'y'] }],
    ['one tag tried once when the branch is the default', { IMAGE_TAG: 'main' }, {}, { registry: 'ghcr.io', tag: 'main', defaultTag: 'main', push: false, tags: ['main'] }],
    ['empty variables are unset', { IMAGE_TAG: ' ', IMAGE_PUSH: '', IMAGE_REGISTRY: '' }, {}, { registry: 'ghcr.io', tag: 'feature-Kernels-2', defaultTag: 'main', push: false, tags: ['feature-Kernels-2', 'main'] }],
  ])('%s', (_case, env, options, expected) => {
    const step = normalizePrepareOptions({ extract: [{ image: 'env-core', path: '/k', to: 'k' }], ...options }, facts({ env: { IMAGE_REPOSITORY: 'o/n', ...env } }));
    expect({ registry: step.registry, tag: step.tag, defaultTag: step.defaultTag, push: step.push, tags: step.extracts[0]?.question.tags }).toEqual(expected);
    expect(step.extracts[0]?.question.local).toBe(!expected.push);
  });

  it('honours NX_DRY_RUN as well as the option', () => {
    expect(normalizePrepareOptions({ copy: [{ from: 'a', to: 'a' }] }, facts({ env: { IMAGE_REPOSITORY: 'o/n', NX_DRY_RUN: 'true' } })).dryRun).toBe(true);
    expect(normalizePrepareOptions({ copy: [{ from: 'a', to: 'a' }], dryRun: true }, facts()).dryRun).toBe(true);
  });

  const image = 'fornax-jupyter';
  const at = (subject: string) => ({ image, subject: `prepare option ${subject}` });
  const has = (text: string) => expect.stringContaining(text) as unknown as string;
  it.each<[string, unknown, Partial<Problem>]>([
    ['nothing to do', {}, { subject: image, problem: 'the prepare step has nothing to do', fix: has('give it "copy"') }],
    ['empty lists', { copy: [], extract: [] }, { subject: image, problem: 'the prepare step has nothing to do' }],
    ['copy not a list', { copy: { from: 'a', to: 'b' } }, { ...at('copy'), problem: 'not a list of objects', fix: 'write it as [{ ... }, ...]' }],
    ['a copy without from', { copy: [{ to: 'b' }] }, { ...at('copy[0]'), problem: 'there is no "from"', fix: 'give it as a non-empty string' }],
    ['a blank to', { copy: [{ from: 'a', to: '  ' }] }, { ...at('copy[0]'), problem: 'there is no "to"' }],
    ['from outside the workspace', { copy: [{ from: '../../etc/passwd', to: 'p' }] }, { ...at('copy[0].from'), problem: '"../../etc/passwd" is not inside the workspace' }],
    ['an absolute from', { copy: [{ from: '/etc/passwd', to: 'p' }] }, { ...at('copy[0].from'), problem: '"/etc/passwd" is not a relative path', fix: 'give it relative to the workspace' }],
    ['to leaving the image folder', { copy: [{ from: 'a', to: '../tractor/a' }] }, { ...at('copy[0].to'), problem: '"../tractor/a" is not inside the image\'s folder images/fornax-jupyter' }],
    ['to the image folder itself', { copy: [{ from: 'a', to: '.' }] }, { ...at('copy[0].to'), problem: '"." is not inside the image\'s folder images/fornax-jupyter', fix: 'give a path inside it (not the folder itself)' }],
    ['to with a NUL', { copy: [{ from: 'a', to: 'a\0b' }] }, { ...at('copy[0].to'), problem: has('is not a relative path') }],
    ['two entries writing one place', { copy: [{ from: 'a', to: 'k' }, { from: 'b', to: './k' }] }, { subject: image, problem: 'the prepare step writes images/fornax-jupyter/k and images/fornax-jupyter/k, one over the other' }],
    ['one entry inside another', { copy: [{ from: 'a', to: 'kernels/x' }], extract: [{ image: 'env-core', path: '/k', to: 'kernels' }] }, { subject: image, problem: 'the prepare step writes images/fornax-jupyter/kernels/x and images/fornax-jupyter/kernels, one over the other' }],
    ['an image that is none of ours', { extract: [{ image: 'jupyter/base', path: '/k', to: 'k' }] }, { ...at('extract[0].image'), problem: '"jupyter/base" is no image of this repository', fix: 'choose from env-core, fornax-jupyter, fornax-nb' }],
    ['the image itself', { extract: [{ image: 'fornax-jupyter', path: '/k', to: 'k' }] }, { ...at('extract[0].image'), problem: 'fornax-jupyter is the image itself, which is built after this step' }],
    [
      'an image not built before it',
      { extract: [{ image: 'env-core', path: '/k', to: 'k' }] },
      { ...at('extract[0].image'), problem: 'env-core is not built before fornax-jupyter', fix: 'add { "projects": ["env-core"], "target": "docker-build", "params": "forward" } to the docker-build dependsOn of images/fornax-jupyter/project.json (after "...")' },
    ],
    [
      'an image not built before it, the build target named otherwise',
      { extract: [{ image: 'env-core', path: '/k', to: 'k' }] },
      { ...at('extract[0].image'), fix: 'add { "projects": ["env-core"], "target": "image", "params": "forward" } to the image dependsOn of images/fornax-jupyter/project.json (after "...")' },
    ],
    ['a relative path in the image', { extract: [{ image: 'fornax-nb', path: 'opt/k', to: 'k' }] }, { ...at('extract[0].path'), problem: '"opt/k" is not an absolute path inside the image', fix: 'write it from /, without ".."' }],
    ['a path climbing out', { extract: [{ image: 'fornax-nb', path: '/opt/../../etc', to: 'k' }] }, { ...at('extract[0].path'), problem: has('is not an absolute path inside the image') }],
    ['a bad fallback tag', { extract: [{ image: 'fornax-nb', path: '/k', to: 'k' }], baseTagFallback: '-x' }, { subject: '--baseTagFallback', problem: '"-x" is not a valid Docker tag' }],
    ['a bad IMAGE_PUSH', { extract: [{ image: 'fornax-nb', path: '/k', to: 'k' }], env: true }, { subject: 'IMAGE_PUSH', problem: '"maybe" is neither true nor false' }],
  ])('refuses %s in one line', (name, options, fields) => {
    const { env, ...rest } = options as PrepareExecutorSchema & { env?: boolean };
    const deps = name.startsWith('an image not built before it') ? { buildDependencies: ['fornax-nb'], ...(name.endsWith('otherwise') ? { buildTarget: 'image' } : {}) } : {};
    const call = () => normalizePrepareOptions(rest, facts({ ...deps, ...(env ? { env: { IMAGE_REPOSITORY: 'o/n', IMAGE_PUSH: 'maybe' } } : {}) }));
    expect(call).toThrow(expect.objectContaining(fields));
    expect(call).toThrow(/^[^\n]+\.$/);
  });
});

import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { resolveImageTarget, type ImageTargetFacts, type ImageTargetOptions } from './image-target';

const facts = (over: Partial<ImageTargetFacts> = {}): ImageTargetFacts => ({ project: 'tractor', env: {}, originUrl: 'git@github.com:Nasa-Fornax/Fornax-Images.git', ...over });

describe('resolveImageTarget: which image, where, one way for every executor', () => {
  it.each<[string, ImageTargetOptions, Partial<ImageTargetFacts>, Record<string, unknown>]>([
    ['the defaults: ghcr.io, the remote lower-cased, the project', {}, {}, { registry: 'ghcr.io', repository: 'nasa-fornax/fornax-images', image: 'tractor', repoPath: 'nasa-fornax/fornax-images/tractor', name: 'ghcr.io/nasa-fornax/fornax-images/tractor' }],
    ['the options win over everything', { registry: 'r.io:5000', repository: 'O/N', image: 'other', variant: 'gpu' }, { env: { IMAGE_REGISTRY: 'x.io', IMAGE_REPOSITORY: 'x/y' } }, { registry: 'r.io:5000', repository: 'o/n', image: 'other', variant: 'gpu', name: 'r.io:5000/o/n/other' }],
    ['IMAGE_* over GITHUB_REPOSITORY over the remote', {}, { env: { IMAGE_REGISTRY: 'x.io', IMAGE_REPOSITORY: 'x/y', GITHUB_REPOSITORY: 'g/h' } }, { registry: 'x.io', repository: 'x/y' }],
    ['GITHUB_REPOSITORY over the remote', {}, { env: { GITHUB_REPOSITORY: 'G/H' } }, { repository: 'g/h' }],
    ['blank options are not given', { registry: ' ', repository: '', image: '  ', variant: '' }, {}, { registry: 'ghcr.io', repository: 'nasa-fornax/fornax-images', image: 'tractor' }],
  ])('%s', (_name, options, over, expected) => {
    const target = resolveImageTarget(options, facts(over));
    expect(target).toMatchObject(expected);
    if (!('variant' in expected)) expect(target).not.toHaveProperty('variant');
  });

  it.each<[string, ImageTargetOptions, Partial<ImageTargetFacts>, string]>([
    ['no repository anywhere', {}, { originUrl: undefined }, 'repository'],
    ['an image name that is not one', { image: '../etc' }, {}, 'image name'],
    ['a registry that is not one', { registry: 'https://r.io' }, {}, 'registry'],
  ])('refuses %s in one line naming it', (_name, options, over, subject) => {
    const call = () => resolveImageTarget(options, facts(over));
    expect(call).toThrow(UserError);
    expect(call).toThrow(expect.objectContaining({ subject: expect.stringContaining(subject) as unknown }));
  });
});

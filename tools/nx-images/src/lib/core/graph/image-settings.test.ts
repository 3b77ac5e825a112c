import { describe, expect, test } from 'vitest';
import { parseGitRemote, resolveRegistry, resolveRepository } from './image-settings';

describe('parseGitRemote', () => {
  test.each([
    ['https://github.com/nasa-fornax/fornax-images.git', 'nasa-fornax/fornax-images'],
    ['https://github.com/nasa-fornax/fornax-images', 'nasa-fornax/fornax-images'],
    ['https://github.com/nasa-fornax/fornax-images/', 'nasa-fornax/fornax-images'],
    ['https://x-access-token:secret@github.com/Owner/Repo.git', 'Owner/Repo'],
    ['http://127.0.0.1:3000/owner/name.git', 'owner/name'],
    ['git@github.com:nasa-fornax/fornax-images.git', 'nasa-fornax/fornax-images'],
    ['git@github.com:Owner/Repo', 'Owner/Repo'],
    ['github.com:owner/name.git', 'owner/name'],
    ['ssh://git@github.com/owner/name.git', 'owner/name'],
    ['ssh://git@github.com:22/owner/name.git', 'owner/name'],
    ['git://github.com/owner/name.git', 'owner/name'],
    ['https://gitlab.com/group/sub/name.git', 'group/sub/name'],
    ['ssh://user@host/~user/owner/name.git', 'owner/name'],
    ['  https://github.com/owner/name.git \n', 'owner/name'],
    ['https://github.com/owner%2Dx/name.git', 'owner-x/name'],
    ['/srv/git/name.git', undefined],
    ['./relative/name', undefined],
    ['file:///srv/git/owner/name.git', undefined],
    ['https://github.com/name.git', undefined],
    ['https://github.com/', undefined],
    ['git@github.com:name.git', undefined],
    ['https://github.com/../name', undefined],
    ['', undefined],
    ['not a url', undefined],
  ])('%j -> %j', (url, expected) => {
    expect(parseGitRemote(url)).toBe(expected);
  });
});

describe('resolveRegistry', () => {
  test.each([
    [undefined, {}, 'ghcr.io'],
    ['', {}, 'ghcr.io'],
    ['  ', { IMAGE_REGISTRY: '' }, 'ghcr.io'],
    [undefined, { IMAGE_REGISTRY: '127.0.0.1:5000' }, '127.0.0.1:5000'],
    ['registry.example.org', { IMAGE_REGISTRY: '127.0.0.1:5000' }, 'registry.example.org'],
    ['localhost:5000', {}, 'localhost:5000'],
    ['[::1]:5000', {}, '[::1]:5000'],
  ])('option %j, env %j -> %j', (option, env, expected) => {
    expect(resolveRegistry(option, env)).toBe(expected);
  });

  test.each([['https://ghcr.io'], ['ghcr.io/owner'], ['-ghcr.io'], ['host:port'], ['ghcr io']])('refuses %j', (option) => {
    expect(() => resolveRegistry(option, {})).toThrow(/is not a registry host: pass a host/);
  });

  test('refuses a bad IMAGE_REGISTRY too', () => {
    expect(() => resolveRegistry(undefined, { IMAGE_REGISTRY: 'http://x' })).toThrow(/"http:\/\/x" is not a registry host/);
  });
});

describe('resolveRepository', () => {
  const origin = 'git@github.com:Origin-Owner/Origin.Repo.git';
  test.each([
    ['Fornax/Images', { IMAGE_REPOSITORY: 'a/b', GITHUB_REPOSITORY: 'c/d' }, origin, 'fornax/images'],
    [undefined, { IMAGE_REPOSITORY: 'A/B', GITHUB_REPOSITORY: 'c/d' }, origin, 'a/b'],
    ['', { IMAGE_REPOSITORY: '', GITHUB_REPOSITORY: 'Nasa-Fornax/Fornax-Images' }, origin, 'nasa-fornax/fornax-images'],
    [undefined, {}, origin, 'origin-owner/origin.repo'],
    [undefined, {}, 'https://github.com/owner/name', 'owner/name'],
    ['/fornax/images/', {}, undefined, 'fornax/images'],
    ['fornax', {}, undefined, 'fornax'],
  ])('option %j, env %j, origin %j -> %j', (option, env, originUrl, expected) => {
    expect(resolveRepository(option, env, originUrl)).toBe(expected);
  });

  test('says how to fix a missing repository', () => {
    expect(() => resolveRepository(undefined, {}, undefined)).toThrow(/pass --repository=owner\/name/);
    expect(() => resolveRepository(undefined, {}, '/srv/git/name.git')).toThrow(/pass --repository=owner\/name/);
  });

  test.each([['owner/na me'], ['owner//name'], ['owner/-name'], ['ow#ner/name'], ['owner/ünïcode'], [`owner/${'a'.repeat(300)}/`.replace(/a+\/$/, '.')]])(
    'refuses %j',
    (option) => {
      expect(() => resolveRepository(option, {}, undefined)).toThrow(/is not a valid repository path/);
    },
  );
});

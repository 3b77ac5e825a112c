import { describe, expect, test } from 'vitest';
import { parseChallenge, repositoryScope, tokenFromResponse, tokenUrl } from './auth';
import { credentialsFromEnv, dockerConfigEntries, registryKey } from './credentials';
import { UserError } from '../../core/errors';
import { DEFAULT_RETRY, isLoopbackRegistry, isRetryableStatus, redact, redactError, registryBaseUrl, retryDelayMs } from './transport';

describe('parseChallenge', () => {
  test.each([
    ['Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"', { scheme: 'bearer', realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/n:pull' }],
    ['bearer realm="https://auth.docker.io/token", service="registry.docker.io"', { scheme: 'bearer', realm: 'https://auth.docker.io/token', service: 'registry.docker.io' }],
    ['Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:a/b:pull,push",error="insufficient_scope"', { scheme: 'bearer', realm: 'http://127.0.0.1:1/token', service: 's', scope: 'repository:a/b:pull,push', error: 'insufficient_scope' }],
    ['Basic realm="Registry Realm"', { scheme: 'basic', realm: 'Registry Realm' }],
    ['Basic', { scheme: 'basic' }],
    ['Bearer service="x"', undefined],
    ['Negotiate abc', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });

  test('asks for pull,push on the repository', () => {
    expect(tokenUrl({ scheme: 'bearer', realm: 'https://ghcr.io/token?x=1', service: 'ghcr.io' }, repositoryScope('o/images/tractor'))).toBe(
      'https://ghcr.io/token?x=1&service=ghcr.io&scope=repository%3Ao%2Fimages%2Ftractor%3Apull%2Cpush',
    );
  });

  test.each([[{ token: 't' }, 't'], [{ access_token: 'a' }, 'a'], [{ token: '' }, undefined], [{}, undefined], ['x', undefined], [null, undefined]])('token from %j', (body, expected) => {
    expect(tokenFromResponse(body)).toBe(expected);
  });
});

describe('credentials', () => {
  test.each([
    ['ghcr.io', { REGISTRY_USERNAME: 'u', REGISTRY_PASSWORD: 'p', GITHUB_ACTOR: 'a', GITHUB_TOKEN: 't' }, 'REGISTRY_USERNAME/REGISTRY_PASSWORD'],
    ['ghcr.io', { GITHUB_ACTOR: 'a', GITHUB_TOKEN: 't' }, 'GITHUB_ACTOR/GITHUB_TOKEN'],
    ['ghcr.io', { REGISTRY_USERNAME: 'u', GITHUB_ACTOR: 'a', GITHUB_TOKEN: 't' }, 'GITHUB_ACTOR/GITHUB_TOKEN'],
    // The job's token never goes to another registry.
    ['127.0.0.1:5000', { GITHUB_ACTOR: 'a', GITHUB_TOKEN: 't' }, undefined],
    ['ghcr.io', { GITHUB_TOKEN: 't' }, undefined],
    ['ghcr.io', {}, undefined],
  ])('%s with %j -> %j', (registry, env, source) => {
    expect(credentialsFromEnv(registry, env)?.source).toBe(source);
  });

  test.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['docker.io', 'index.docker.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['GHCR.IO/v2/', 'ghcr.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
  ])('registryKey(%j) = %j', (name, key) => {
    expect(registryKey(name)).toBe(key);
  });

  test.each([
    [{ auths: { 'https://ghcr.io': { auth: Buffer.from('me:pa:ss').toString('base64') } } }, [{ kind: 'inline', username: 'me', password: 'pa:ss' }]],
    [{ auths: { 'ghcr.io': { username: 'me', password: 'pw' } } }, [{ kind: 'inline', username: 'me', password: 'pw' }]],
    [{ auths: { 'ghcr.io': {} }, credsStore: 'desktop' }, [{ kind: 'helper', helper: 'desktop', serverUrl: 'ghcr.io' }]],
    [{ auths: { 'ghcr.io': { auth: Buffer.from('a:b').toString('base64') } }, credsStore: 'pass' }, [{ kind: 'helper', helper: 'pass', serverUrl: 'ghcr.io' }, { kind: 'inline', username: 'a', password: 'b' }]],
    [{ credsStore: 'pass', credHelpers: { 'ghcr.io': 'gcloud' } }, [{ kind: 'helper', helper: 'gcloud', serverUrl: 'ghcr.io' }]],
    [{ auths: { 'other.io': { auth: Buffer.from('a:b').toString('base64') } } }, []],
    [{ auths: { 'ghcr.io': { auth: Buffer.from('nocolon').toString('base64') } } }, []],
    [{}, []],
  ])('docker config %j', (config, expected) => {
    expect(dockerConfigEntries(config, 'ghcr.io')).toEqual(expected);
  });

  test('a helper name that could be a path is refused', () => {
    expect(() => dockerConfigEntries({ credsStore: '../../bin/sh' }, 'ghcr.io')).toThrow(/is not a helper name/);
  });
});

describe('transport', () => {
  test.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000', false],
    ['127.1.2.3', 'http://127.1.2.3', false],
    ['localhost:5000', 'http://localhost:5000', false],
    ['[::1]:5000', 'http://[::1]:5000', false],
    ['ghcr.io', 'https://ghcr.io', false],
    ['127.0.0.1.example.org', 'https://127.0.0.1.example.org', false],
    ['registry.internal:5000', 'https://registry.internal:5000', false],
    ['registry.internal:5000', 'http://registry.internal:5000', true],
    ['docker.io', 'https://registry-1.docker.io', false],
  ])('%s -> %s (insecure %s)', (registry, url, insecure) => {
    expect(registryBaseUrl(registry, insecure)).toBe(url);
    expect(isLoopbackRegistry(registry)).toBe(url.startsWith('http:') && !insecure);
  });

  test.each([
    [1, null, 500],
    [2, null, 1000],
    [3, undefined, 2000],
    [10, null, 30_000],
    [1, '3', 3000],
    [1, ' 0 ', 0],
    [1, '999', 30_000],
    [1, 'Wed, 21 Oct 2015 07:28:05 GMT', 5000],
    [1, 'Wed, 21 Oct 2015 07:27:00 GMT', 0],
    [2, 'soon', 1000],
  ])('try %i with Retry-After %j waits %i ms', (attempt, retryAfter, expected) => {
    expect(retryDelayMs(attempt, retryAfter, DEFAULT_RETRY, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(expected);
  });

  test.each([[429, true], [500, true], [502, true], [503, true], [504, true], [408, true], [501, false], [505, false], [400, false], [401, false], [403, false], [404, false]])(
    'status %i retryable: %s',
    (status, expected) => {
      expect(isRetryableStatus(status)).toBe(expected);
    },
  );

  test('redactError hides every secret in a UserError\'s line and in each of its parts', () => {
    const error = new UserError({ image: 'img-hunter2', subject: 'registry r hunter2', problem: 'refused hunter2', fix: 'check hunter2' });
    expect(redactError(error, ['hunter2'])).toMatchObject({ image: 'img-***', subject: 'registry r ***', problem: 'refused ***', fix: 'check ***', message: 'img-***: registry r ***: refused ***: check ***.' });
    expect((redactError(new Error('plain hunter2'), ['hunter2']) as Error).message).toBe('plain ***');
    expect(redactError('not an error', ['hunter2'])).toBe('not an error');
  });

  test('redact hides every secret', () => {
    expect(redact('token abc.def and pw hunter2 and hunter2', ['abc.def', 'hunter2', 'x'])).toBe('token *** and pw *** and ***');
  });
});

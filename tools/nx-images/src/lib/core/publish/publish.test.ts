import { describe, expect, it } from 'vitest';
import { UserError } from '../errors';
import { endpointName, mirrorName, notificationUrl, notificationVerdict, parseMirror, parseNotifyUrls, publishesBranch, resolveMirrors } from './publish';

const PRIMARY = { registry: 'ghcr.io', repository: 'nasa-fornax/fornax-images' };

describe('parseMirror', () => {
  it.each([
    ['a host alone takes the primary repository', 'ecr.example.org', { registry: 'ecr.example.org', repository: 'nasa-fornax/fornax-images' }],
    ['a host and a path', '123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax', { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'fornax' }],
    ['a loopback port and a deep path', '127.0.0.1:5001/a/b-c/d_e', { registry: '127.0.0.1:5001', repository: 'a/b-c/d_e' }],
    ['an upper-case host is lowered', 'Mirror.Example.org/x', { registry: 'mirror.example.org', repository: 'x' }],
    ['a trailing slash', 'mirror.example.org/x/', { registry: 'mirror.example.org', repository: 'x' }],
    ['an IPv6 host', '[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }],
  ])('%s', (_name, text, expected) => {
    expect(parseMirror(text, PRIMARY.repository, 'IMAGE_MIRRORS')).toEqual(expected);
  });

  it.each([
    ['a scheme', 'https://mirror.example.org/x', /IMAGE_MIRRORS: mirror "https:\/\/mirror\.example\.org\/x" has a scheme: write it as host\[:port\]\[\/path\]/],
    ['no host', '/x', /does not start with a registry host/],
    ['a port out of range', 'mirror.example.org:70000/x', /does not start with a registry host/],
    ['an upper-case path', 'mirror.example.org/Fornax', /repository path "Fornax" has the path component "Fornax"/],
    ['an empty component', 'mirror.example.org/a//b', /has the path component ""/],
    ['a shell word', 'mirror.example.org/$(id)', /has the path component "\$\(id\)"/],
    ['a space', 'mirror example.org', /does not start with a registry host/],
  ])('refuses %s in one line naming the source and the fix', (_name, text, message) => {
    const error = (() => {
      try {
        parseMirror(text, PRIMARY.repository, 'IMAGE_MIRRORS');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('resolveMirrors', () => {
  it('takes IMAGE_MIRRORS over the option, comma-separated, blanks ignored', () => {
    const mirrors = resolveMirrors({ option: ['option.example.org'], env: { IMAGE_MIRRORS: ' a.example.org/x , ,b.example.org ' }, primary: PRIMARY });
    expect(mirrors.map(mirrorName)).toEqual(['a.example.org/x', 'b.example.org/nasa-fornax/fornax-images']);
  });

  it('an unset or empty IMAGE_MIRRORS (a workflow passes an unset variable as "") keeps the option; none turns it off', () => {
    for (const env of [{}, { IMAGE_MIRRORS: '' }, { IMAGE_MIRRORS: '  ' }]) {
      expect(resolveMirrors({ option: ['option.example.org'], env, primary: PRIMARY }).map(mirrorName)).toEqual(['option.example.org/nasa-fornax/fornax-images']);
    }
    expect(resolveMirrors({ option: ['option.example.org'], env: { IMAGE_MIRRORS: 'none' }, primary: PRIMARY })).toEqual([]);
    expect(resolveMirrors({ option: ['option.example.org'], env: { IMAGE_MIRRORS: ' NONE ' }, primary: PRIMARY })).toEqual([]);
  });

  it('refuses the primary itself and a mirror listed twice', () => {
    expect(() => resolveMirrors({ option: ['ghcr.io'], env: {}, primary: PRIMARY })).toThrow(/option mirrors: mirror "ghcr\.io" is the primary registry and repository: remove it/);
    expect(() => resolveMirrors({ option: [], env: { IMAGE_MIRRORS: 'a.example.org/x,A.example.org/x' }, primary: PRIMARY })).toThrow(/IMAGE_MIRRORS: mirror a\.example\.org\/x is listed twice/);
  });
});

describe('notification endpoints', () => {
  it('parses a comma-separated list, and sets image and tag in the query, keeping what the endpoint has', () => {
    const [first, second] = parseNotifyUrls('https://hooks.example.org/p/abc?key=s3cret, http://127.0.0.1:9/x');
    expect(notificationUrl(first, 'tractor', 'main').toString()).toBe('https://hooks.example.org/p/abc?key=s3cret&image=tractor&tag=main');
    expect(notificationUrl(second, 'base_image', 'v1.0.0').toString()).toBe('http://127.0.0.1:9/x?image=base_image&tag=v1.0.0');
    expect(parseNotifyUrls(undefined)).toEqual([]);
    expect(parseNotifyUrls(' , ')).toEqual([]);
  });

  it('an endpoint set in the query is replaced, not repeated', () => {
    const [endpoint] = parseNotifyUrls('https://hooks.example.org/?image=old&tag=old');
    expect(notificationUrl(endpoint, 'tractor', 'main').searchParams.getAll('image')).toEqual(['tractor']);
  });

  it('names a bad endpoint by its position only: the text is a secret', () => {
    expect(() => parseNotifyUrls('https://ok.example.org,ftp://s3cret.example.org/x')).toThrow(/^IMAGE_NOTIFY_URLS: endpoint 2 of 2 is not an http\(s\) URL: fix that secret/);
    try {
      parseNotifyUrls('not a url with s3cret');
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
    expect(endpointName(0, 3)).toBe('notification endpoint 1 of 3');
  });

  it.each([
    [200, 'accepted'],
    [204, 'accepted'],
    [404, 'accepted'],
    [500, 'retry'],
    [503, 'retry'],
    [429, 'retry'],
    [408, 'retry'],
    [400, 'refused'],
    [401, 'refused'],
    [403, 'refused'],
    [301, 'refused'],
  ] as const)('HTTP %i is %s', (status, verdict) => {
    expect(notificationVerdict(status)).toBe(verdict);
  });
});

describe('publishesBranch', () => {
  it('compares branches by their tags', () => {
    expect(publishesBranch('main', ['main'])).toBe(true);
    expect(publishesBranch('release-1.x', ['main', 'release/1.x'])).toBe(true);
    expect(publishesBranch('feature-x', ['main', 'develop'])).toBe(false);
  });
});

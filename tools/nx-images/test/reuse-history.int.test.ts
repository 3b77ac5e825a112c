import { describe, expect, it } from 'vitest';
import { LABEL } from '../src/lib/core/naming/conventions';
import { findReusable } from '../src/lib/io/reuse';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { nodeHttp, type HttpRequest } from '../src/lib/io/registry/http';
import { copiesOfHistoryMain, expectReused, pullRequestPushed } from './harness/reuse-steps';

const copyOfMain = copiesOfHistoryMain();

// A rebase merge reuses the branch's images on a main that moved on; a revert takes the images built
// before; a forced rebuild takes nothing; the lookup costs one request (test/harness/reuse-steps.ts).

describe('a merged pull request reuses the images its branch built and tested', () => {
  it('a rebase merge: the branch\'s commits replayed onto a main that moved on', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    const moved = await main.ws.commit('main moves on meanwhile', { 'README.md': '# history, moved on\n' });
    const pushed = await main.run({ name: 'push', branch: 'main', sha: moved, before: main.c0 });
    expect(pushed.exitCode, pushed.all).toBe(0);
    await main.ws.git('checkout', '--quiet', 'pr/two');
    await main.ws.git('rebase', '--quiet', 'main');
    const rebased = await main.ws.git('rev-parse', 'HEAD');
    expect(rebased).not.toBe(built.head);
    await main.ws.git('checkout', '--quiet', 'main');
    await main.ws.git('merge', '--quiet', '--ff-only', 'pr/two');
    await expectReused(main, moved, built);
  });
});

describe('reuse across history', () => {
  it('a revert takes the images built before the reverted commit; a forced rebuild takes none', async () => {
    const main = await copyOfMain();
    const original = (await main.image('app', 'main'))?.digest;
    const change = await main.ws.commit('app: a change to revert', { 'images/app/stamp.txt': 'app reverted later\n' });
    const changed = await main.run({ name: 'push', branch: 'main', sha: change, before: main.c0 });
    expect(changed.exitCode, changed.all).toBe(0);
    const between = (await main.image('app', 'main'))?.digest;
    expect(between).not.toBe(original);

    await main.ws.git('revert', '--no-edit', 'HEAD');
    const reverted = await main.ws.git('rev-parse', 'HEAD');
    const back = await main.run({ name: 'push', branch: 'main', sha: reverted, before: change });
    expect(back.exitCode, back.all).toBe(0);
    expect(back.all).toMatch(new RegExp(`app: reused \\S+@${original ?? ''}, built from the same inputs on the same bases by \\S+:main \\(${main.c0.slice(0, 7)}\\)`));
    expect((await main.image('app', 'main'))?.digest).toBe(original);

    // The same inputs again, with [rebuild]: built anew, a digest of its own, and the summary says why.
    main.ws.write('images/app/stamp.txt', 'app reverted later\n');
    const forced = await main.ws.commit('app again [rebuild]');
    const rebuilt = await main.run({ name: 'push', branch: 'main', sha: forced, before: reverted, message: 'app again [rebuild]' });
    expect(rebuilt.exitCode, rebuilt.all).toBe(0);
    expect(rebuilt.all).toContain('ci:images: every image built anew, none reused: [rebuild] in the head commit message');
    expect(rebuilt.all).toContain('app: reuse skipped (--reuse=false): building');
    const fresh = await main.image('app', 'main');
    expect(fresh?.digest).not.toBe(between);
    expect(fresh?.labels[LABEL.revision]).toBe(forced);
    expect(rebuilt.summary).toContain('**Rebuilt:** every image of this run was built anew');
  });

  it('the reuse lookup is one registry request per image, found or not', async () => {
    const main = await copyOfMain();
    let requests = 0;
    const counting: HttpRequest = (url, init) => {
      requests += 1;
      return nodeHttp(url, init);
    };
    const client = createRegistryClient({ registry: main.registry.host, credentials: null, http: counting });
    const record = await findReusable(client, `${main.repo}/app`, `sha256:${'0'.repeat(64)}`);
    expect(record).toBeUndefined();
    expect(requests).toBe(1);
    // main's own build recorded app under the digest of its inputs: the tag lists it.
    const tags = await (await fetch(`${main.registry.url}/v2/${main.repo}/app/tags/list`)).json() as { tags: string[] };
    const key = tags.tags.find((tag) => tag.startsWith('reuse-'))?.replace('reuse-', 'sha256:') ?? '';
    requests = 0;
    const found = await findReusable(client, `${main.repo}/app`, key);
    expect(found?.subject).toBe((await main.image('app', 'main'))?.digest);
    expect(found?.revision).toBe(main.c0);
    expect(requests).toBe(1);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCiImages } from './harness/github-run';
import { readImage } from './harness/read-image';
import { startRegistry, type StartedRegistry } from './harness/registry';
import { digestOf } from './harness/seed';
import { createWorkspace, type Workspace } from './harness/workspace';

// A mirror in CI (IMAGE_MIRRORS): down on the first run of a push, back on the second. The copy itself
// is mirror.int.test.ts's. Down is what a registry behind a proxy answers then: 503 to every request, with
// Retry-After: 0 so the client's bounded retries run without the backoff a closed port would wait out.

describe('in CI: ci:images on a push to main', () => {
  let ws: Workspace;
  let primary: StartedRegistry;
  let late: StartedRegistry | undefined;
  /** The mirror while it is down; closed by the test when the mirror comes back, else after the file. */
  let down: Server | undefined;

  beforeAll(async () => {
    [ws, primary] = await Promise.all([createWorkspace(), startRegistry()]);
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (down ? down.close(() => resolve()) : resolve()));
    await late?.stop();
    await primary?.stop();
    ws?.cleanup();
  });

  it('a failing mirror leaves the primary push in place and fails the run naming the mirror; the next run completes the copy', async () => {
    down = createServer((_req, res) => {
      res.writeHead(503, { 'Retry-After': '0' });
      res.end();
    });
    const server = down;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const sha = await ws.git('rev-parse', 'HEAD');
    const extra = { IMAGE_REPOSITORY: 'fornax/ci', IMAGE_MIRRORS: `127.0.0.1:${port}/fornax/mirror` };
    const first = await runCiImages(ws, { name: 'push', branch: 'main', sha }, primary.host, extra);
    expect(first.exitCode, first.all).not.toBe(0);
    const pushed = await readImage(primary.url, 'fornax/ci/base_image', 'main');
    expect(pushed?.labels['org.opencontainers.image.revision']).toBe(sha);
    expect(first.all).toContain(`base_image: mirror 127.0.0.1:${port}/fornax/mirror failed: registry 127.0.0.1:${port}: `);
    expect(first.all).toContain(`the images stay pushed to ${primary.host}: run again to complete`);
    expect(first.summary).toContain('### Mirrors and notifications');
    expect(first.summary).toMatch(new RegExp(`\\| \`base_image\` \\| \`127\\.0\\.0\\.1:${port}/fornax/mirror\` \\| \`main\` \\| \\*\\*failed\\*\\*: `));

    // The mirror comes back; the same push's workflow, run again, builds nothing and completes the copies.
    down = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    late = await startRegistry({ port });
    const second = await runCiImages(ws, { name: 'push', branch: 'main', sha }, primary.host, extra);
    expect(second.exitCode, second.all).toBe(0);
    for (const image of ['base_image', 'tractor']) {
      const digest = (await readImage(primary.url, `fornax/ci/${image}`, 'main'))?.digest;
      expect(await digestOf(late.url, `fornax/mirror/${image}`, 'main')).toBe(digest);
      expect(second.summary).toContain(`| \`${image}\` | \`127.0.0.1:${port}/fornax/mirror\` | \`main\` | \`${digest}\` |`);
    }
    expect(second.all).toContain('no image is affected; nothing to build.');
  }, 180_000);
});

import { describe, it } from 'vitest';
import { copiesOfHistoryMain, expectReused, pullRequestPushed } from './harness/reuse-steps';

const copyOfMain = copiesOfHistoryMain();

// A pull request's branch builds and tests two images; merged into main by a merge commit or a squash
// (the rebase merge is in reuse-history), the push to main builds none and reads back the branch's
// digests (test/harness/reuse-steps.ts).

describe('a merged pull request reuses the images its branch built and tested', () => {
  it('a merge commit', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    await main.ws.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #1 from pr/two', 'pr/two');
    await expectReused(main, main.c0, built);
  });

  it('a squash merge: main\'s commit is none of the branch\'s', async () => {
    const main = await copyOfMain();
    const built = await pullRequestPushed(main);
    await main.ws.git('merge', '--quiet', '--squash', 'pr/two');
    await main.ws.git('commit', '--quiet', '-m', 'app and tool (#1)');
    await expectReused(main, main.c0, built);
  });
});

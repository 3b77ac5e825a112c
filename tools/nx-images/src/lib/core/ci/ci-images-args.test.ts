import { describe, expect, it } from 'vitest';
import { parseCiImagesArgs } from './ci-images-args';
import { UserError } from '../errors';

describe('parseCiImagesArgs', () => {
  it.each<[string[], ReturnType<typeof parseCiImagesArgs>]>([
    [[], { push: false, dryRun: false, refresh: false, rebuild: false }],
    [['--plan'], { mode: 'plan', push: false, dryRun: false, refresh: false, rebuild: false }],
    [['--image'], { mode: 'image', push: false, dryRun: false, refresh: false, rebuild: false }],
    [['--summary'], { mode: 'summary', push: false, dryRun: false, refresh: false, rebuild: false }],
    [['--merge'], { mode: 'merge', push: false, dryRun: false, refresh: false, rebuild: false }],
    [['--push', '--dry-run'], { push: true, dryRun: true, refresh: false, rebuild: false }],
    [['--plan', '--registry=127.0.0.1:5000', '--repository=me/images'], { mode: 'plan', push: false, dryRun: false, refresh: false, rebuild: false, registry: '127.0.0.1:5000', repository: 'me/images' }],
    [['--registry', 'localhost:5000'], { push: false, dryRun: false, refresh: false, rebuild: false, registry: 'localhost:5000' }],
    [['--repository= me/images '], { push: false, dryRun: false, refresh: false, rebuild: false, repository: 'me/images' }],
    [['--plan', '--refresh'], { mode: 'plan', push: false, dryRun: false, refresh: true, rebuild: false }],
    [['--rebuild', '--push'], { push: true, dryRun: false, refresh: false, rebuild: true }],
  ])('%j', (argv, expected) => {
    expect(parseCiImagesArgs(argv)).toEqual(expected);
  });

  it.each<[string[], RegExp]>([
    [['--bogus'], /^ci:images: Unknown option '--bogus'.*: use --plan, --image, --merge, --summary, --push, --dry-run, --refresh, --rebuild, --registry=<host\[:port\]>, --repository=<owner\/name>\.$/],
    [['plan'], /^ci:images: Unexpected argument 'plan'.*: use --plan/],
    [['--plan=yes'], /^ci:images: Option '--plan' does not take an argument: use /],
    [['--registry'], /^ci:images: Option '--registry <value>' argument missing: use /],
    [['--plan', '--image'], /^ci:images: --plan and --image are different jobs: give one of them\.$/],
    [['--registry='], /^ci:images: --registry is empty: give a value, e.g\. --registry=127\.0\.0\.1:5000\.$/],
    [['--repository=  '], /^ci:images: --repository is empty: give a value, e\.g\. --repository=owner\/name\.$/],
    [['--image', '--registry=localhost:5000'], /^ci:images: --registry does not apply to --image, which takes the plan's \(IMAGES_PLAN\): give it to the --plan job\.$/],
    [['--summary', '--repository=a/b'], /^ci:images: --repository does not apply to --summary/],
  ])('refuses %j in one line naming the fix', (argv, message) => {
    const call = () => parseCiImagesArgs(argv);
    expect(call).toThrow(UserError);
    expect(call).toThrow(message);
  });
});

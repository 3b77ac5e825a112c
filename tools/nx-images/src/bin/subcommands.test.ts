import { describe, expect, it } from 'vitest';
import { parseBinArgs } from './subcommands';

describe('parseBinArgs', () => {
  it.each<[string, string[], string, string[]]>([
    ['images with the plan flag', ['images', '--plan'], 'images', ['--plan']],
    ['images with every kind of flag, in order', ['images', '--push', '--registry=127.0.0.1:5000', '--repository=a/b', '--dry-run'], 'images', ['--push', '--registry=127.0.0.1:5000', '--repository=a/b', '--dry-run']],
    ['images alone', ['images'], 'images', []],
    ['release', ['release'], 'release', []],
    ['free-disk', ['free-disk'], 'free-disk', []],
    ['a flag that looks like help after the subcommand is the entry point\'s', ['images', '--help'], 'images', ['--help']],
    ['a subcommand name as a later argument', ['release', 'images'], 'release', ['images']],
  ])('%s', (_case, argv, subcommand, args) => {
    expect(parseBinArgs(argv)).toEqual({ kind: 'run', subcommand, entry: subcommand, args });
  });

  it.each<[string, string[], RegExp]>([
    ['no subcommand', [], /^nx-images: no subcommand given: use one of images, release, free-disk \(/],
    ['an unknown one', ['build'], /^nx-images: unknown subcommand "build": use one of images, release, free-disk \(/],
    ['the npm script name', ['ci:images'], /^nx-images: unknown subcommand "ci:images": /],
    ['a flag first', ['--plan'], /^nx-images: unknown subcommand "--plan": /],
    ['case matters', ['Images'], /^nx-images: unknown subcommand "Images": /],
    ['an inherited property name', ['constructor'], /^nx-images: unknown subcommand "constructor": /],
    ['an empty word', [''], /^nx-images: unknown subcommand "": /],
    ['a newline in the word stays on one line', ['a\nb'], /^nx-images: unknown subcommand "a\\nb": /],
  ])('refuses %s in one line', (_case, argv, message) => {
    const invocation = parseBinArgs(argv);
    expect(invocation.kind).toBe('usage-error');
    if (invocation.kind !== 'usage-error') return;
    expect(invocation.message).toMatch(message);
    expect(invocation.message).not.toContain('\n');
  });

  it.each([['--help'], ['-h'], ['help']])('prints every subcommand for %s', (flag) => {
    const invocation = parseBinArgs([flag]);
    expect(invocation.kind).toBe('help');
    if (invocation.kind !== 'help') return;
    for (const name of ['images', 'release', 'free-disk']) expect(invocation.text).toMatch(new RegExp(`^  nx-images ${name} +\\S`, 'm'));
  });
});

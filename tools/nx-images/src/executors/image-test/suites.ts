import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { builtFromChain } from '../../lib/core/evidence/image-tests';
import type { WorkspaceSettings } from '../../lib/core/graph/plugin-options';
import { repositoryImages } from '../../lib/core/dockerfile/repository-images';
import { normalizeTestRule, type TestRule } from '../../lib/core/evidence/test-rule';
import { suitesOf, type Suite, type TestsOfImage } from '../../lib/io/image-tests';
import type { ImageTestExecutorSchema } from './schema';

/**
 * The suites an image runs: its own tests, then, unless told not to, those
 * of the images it is built FROM (its final stage's base, that one's, ...),
 * so an image also keeps its ancestors' promises. Each image's tests are
 * located and run by its own rule: its image-test `tests` option, else the
 * plugin's.
 */
export function imageSuites(input: {
  context: ExecutorContext;
  settings: WorkspaceSettings;
  image: string;
  /** The image's own image-test options (the running target's, or its project.json's). */
  options: ImageTestExecutorSchema;
  ancestors: boolean;
}): Promise<Suite[]> {
  const { context, settings } = input;
  const rootOf = (image: string) =>
    context.projectsConfigurations?.projects[image]?.root ?? posix.join(posix.dirname(posix.dirname(settings.dockerfiles)), image);
  const finalBaseOf = (image: string): string | undefined => {
    const file = join(context.root, rootOf(image), 'Dockerfile');
    if (!existsSync(file)) return undefined;
    return repositoryImages(readFileSync(file, 'utf8'), settings.buildArgs, undefined, file).finalBase?.image;
  };
  const chain = input.ancestors ? builtFromChain(input.image, finalBaseOf) : [input.image];
  const optionsOf = (image: string): ImageTestExecutorSchema =>
    image === input.image ? input.options : ((context.projectsConfigurations?.projects[image]?.targets?.[settings.targets.test]?.options ?? {}) as ImageTestExecutorSchema);
  return suitesOf(
    context.root,
    chain.map((name) => testsOfImage(name, rootOf(name), optionsOf(name), settings)),
  );
}

/** One image's rule and command: its options (which carry the plugin's) over the settings. */
export function testsOfImage(name: string, root: string, options: ImageTestExecutorSchema, settings: WorkspaceSettings): TestsOfImage {
  const rule: TestRule = options.tests === undefined ? settings.tests : normalizeTestRule(options.tests, `${name}: ${settings.targets.test} option tests`);
  const own = options.command && options.command.length > 0 ? options.command : rule.command;
  const pluginCommand = options.testCommand && options.testCommand.length > 0 ? options.testCommand : settings.testCommand;
  const command = own.length > 0 || rule.run === 'host' ? own : pluginCommand;
  return { name, root, rule, command };
}

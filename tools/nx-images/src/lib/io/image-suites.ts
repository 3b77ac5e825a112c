import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { builtFromChain } from '../core/evidence/image-tests';
import type { WorkspaceSettings } from '../core/graph/plugin-options';
import { repositoryImages } from '../core/dockerfile/repository-images';
import { normalizeTestRule, type TestRule } from '../core/evidence/test-rule';
import { suitesOf, type Suite, type TestsOfImage } from './image-tests';

/** What an image's test target options say about its tests (the image-test executor's schema carries these). */
export interface ImageTestOptions {
  command?: string[];
  /** Run the tests of the images it is built FROM too (default true). */
  ancestors?: boolean;
  /** Where this image's tests are and how they run, in place of the plugin's tests option. */
  tests?: { path?: string; mount?: string; run?: 'image' | 'host'; command?: string[] };
  /** The plugin's test command, when neither command nor the rule gives one. */
  testCommand?: string[];
}

/** What the suites are found from: the workspace root and its projects as Nx configured them (an executor's context is one). */
export interface ProjectsContext {
  root: string;
  projectsConfigurations?: { projects: Readonly<Record<string, { root?: string; targets?: Record<string, { options?: unknown } | undefined> } | undefined>> };
}

/**
 * The suites an image runs: its own tests, then, unless told not to, those
 * of the images it is built FROM (its final stage's base, that one's, ...),
 * so an image also keeps its ancestors' promises. Each image's tests are
 * located and run by its own rule: its image-test `tests` option, else the
 * plugin's.
 */
export function imageSuites(input: {
  context: ProjectsContext;
  settings: WorkspaceSettings;
  image: string;
  /** The image's own image-test options (the running target's, or its project.json's). */
  options: ImageTestOptions;
  ancestors: boolean;
}): Promise<Suite[]> {
  const { context, settings } = input;
  const rootOf = (image: string) => context.projectsConfigurations?.projects[image]?.root ?? posix.join(posix.dirname(posix.dirname(settings.dockerfiles)), image);
  const finalBaseOf = (image: string): string | undefined => {
    const file = join(context.root, rootOf(image), 'Dockerfile');
    if (!existsSync(file)) return undefined;
    return repositoryImages(readFileSync(file, 'utf8'), settings.buildArgs, undefined, file).finalBase?.image;
  };
  const chain = input.ancestors ? builtFromChain(input.image, finalBaseOf) : [input.image];
  const optionsOf = (image: string): ImageTestOptions => (image === input.image ? input.options : testOptionsOf(context, image, settings));
  return suitesOf(
    context.root,
    chain.map((name) => testsOfImage(name, rootOf(name), optionsOf(name), settings)),
  );
}

/**
 * The suites the image's test target (settings.targets.test) runs, by its
 * options (which carry the plugin's tests rule and testCommand), or none
 * when the image has no tests of its own: what docker-build tests before a push.
 */
export async function ownSuites(context: ProjectsContext, settings: WorkspaceSettings, project: string): Promise<Suite[]> {
  const options = testOptionsOf(context, project, settings);
  const suites = await imageSuites({ context, settings, image: project, options, ancestors: options.ancestors ?? true });
  return suites.some((suite) => suite.name === project) ? suites : [];
}

/** One image's rule and command: its options (which carry the plugin's) over the settings. */
export function testsOfImage(name: string, root: string, options: ImageTestOptions, settings: WorkspaceSettings): TestsOfImage {
  const rule: TestRule = options.tests === undefined ? settings.tests : normalizeTestRule(options.tests, { image: name, subject: `${settings.targets.test} option tests` });
  const own = options.command && options.command.length > 0 ? options.command : rule.command;
  const pluginCommand = options.testCommand && options.testCommand.length > 0 ? options.testCommand : settings.testCommand;
  const command = own.length > 0 || rule.run === 'host' ? own : pluginCommand;
  return { name, root, rule, command };
}

function testOptionsOf(context: ProjectsContext, image: string, settings: WorkspaceSettings): ImageTestOptions {
  return context.projectsConfigurations?.projects[image]?.targets?.[settings.targets.test]?.options ?? {};
}

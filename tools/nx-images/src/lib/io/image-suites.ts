import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtFromChain } from '../core/evidence/image-tests';
import { DEFAULT_TARGET_SETTINGS, type TestSettings } from '../core/graph/target-settings';
import { repositoryImages } from '../core/dockerfile/repository-images';
import { normalizeTestRule, type TestRule } from '../core/evidence/test-rule';
import { suitesOf, type Suite, type TestsOfImage } from './image-tests';

/** What an image's test target options say about its tests (the image-test executor's schema carries these). */
export interface ImageTestOptions {
  command?: string[];
  /** Run the tests of the images it is built FROM too (default true). */
  ancestors?: boolean;
  /** Where this image's tests are and how they run, in place of the plugin's tests option. */
  tests?: { path?: string | string[]; mount?: string; run?: 'image' | 'host'; command?: string[] };
  /** Internal: nx.json's tests rule, test command and arg names, as the plugin resolved them for the test target. */
  settings?: TestSettings;
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
  /** The name of the test target every image's tests go by. */
  testTarget: string;
  image: string;
  /** The image's own image-test options (the running target's, or its project.json's). */
  options: ImageTestOptions;
  ancestors: boolean;
}): Promise<Suite[]> {
  const { context, testTarget } = input;
  const rootOf = (image: string) => context.projectsConfigurations?.projects[image]?.root;
  const optionsOf = (image: string): ImageTestOptions => (image === input.image ? input.options : testOptionsOf(context, image, testTarget));
  const { buildArgNames, selfNames } = input.options.settings ?? DEFAULT_TARGET_SETTINGS.test;
  const finalBaseOf = (image: string): string | undefined => {
    const root = rootOf(image);
    const file = root === undefined ? undefined : join(context.root, root, 'Dockerfile');
    if (file === undefined || !existsSync(file)) return undefined;
    return repositoryImages(readFileSync(file, 'utf8'), buildArgNames, undefined, file, {}, selfNames).finalBase?.image;
  };
  // An ancestor that is no project of the workspace ends the chain: there is nothing of its to run.
  const chain = (input.ancestors ? builtFromChain(input.image, finalBaseOf) : [input.image]).filter((name) => name === input.image || rootOf(name) !== undefined);
  return suitesOf(
    context.root,
    chain.map((name) => testsOfImage(name, rootOf(name) ?? '', optionsOf(name))),
  );
}

/**
 * The suites the image's test target (named testTarget) runs, by its
 * options (which carry the plugin's tests rule and testCommand), or none
 * when the image has no tests of its own: what docker-build tests before a push.
 */
export async function ownSuites(context: ProjectsContext, testTarget: string, project: string): Promise<Suite[]> {
  const options = testOptionsOf(context, project, testTarget);
  const suites = await imageSuites({ context, testTarget, image: project, options, ancestors: options.ancestors ?? true });
  return suites.some((suite) => suite.name === project) ? suites : [];
}

/** One image's rule and command: its own options over the plugin's settings. */
export function testsOfImage(name: string, root: string, options: ImageTestOptions): TestsOfImage {
  const settings = options.settings ?? DEFAULT_TARGET_SETTINGS.test;
  const rule: TestRule = options.tests === undefined ? settings.tests : normalizeTestRule(options.tests, { image: name, subject: `${settings.testTarget} option tests` });
  const own = options.command && options.command.length > 0 ? options.command : rule.command;
  const pluginCommand = settings.testCommand;
  const command = own.length > 0 || rule.run === 'host' ? own : pluginCommand;
  return { name, root, rule, command };
}

function testOptionsOf(context: ProjectsContext, image: string, testTarget: string): ImageTestOptions {
  return context.projectsConfigurations?.projects[image]?.targets?.[testTarget]?.options ?? {};
}

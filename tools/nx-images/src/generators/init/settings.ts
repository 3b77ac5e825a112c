import type { BuildArgNames } from '../../lib/core/dockerfile/repository-images';
import { detectRepository, type Detection, type RepositoryFacts, type TestsRule, type Undecided } from '../../lib/core/adopt/detect';
import { UserError } from '../../lib/core/errors';
import { selfNames } from '../../lib/core/graph/plugin-options';
import { assertValidRegistry, normalizeRepository } from '../../lib/core/naming/refs';
import { assertPlatforms } from '../../lib/core/naming/platforms';
import type { InitGeneratorSchema } from './schema';

/** Every value init writes, decided: detected, given by a flag, or answered. */
export interface InitSettings {
  detection: Detection;
  registry: string;
  repository: string;
  defaultBranch: string;
  dockerfiles: string;
  variants: string;
  buildArgs: BuildArgNames;
  /** The literal names of the images (nx.json's selfNames); empty: none written. */
  selfNames: string[];
  /** The platforms every image builds for (nx.json's platforms); empty: none written, the runner's own. */
  platforms: string[];
  /** undefined: the plugin's default rule. */
  tests?: TestsRule;
  /** The values that came from a flag or an answer rather than from the repository. */
  given: string[];
}

/** Asks the user one question; undefined when there is nobody to ask (--no-interactive, or no terminal). */
export type Ask = (question: string, choices: readonly string[]) => Promise<string | undefined>;

const FLAG: Record<Undecided['option'], string> = {
  registry: '--registry',
  repository: '--repository',
  defaultBranch: '--defaultBranch',
  dockerfiles: '--dockerfiles',
  buildArgs: '--repositoryArg (with --registryArg and --baseTagArg)',
  testsRun: '--testsRun=image|host',
};

/**
 * Detection overridden by the flags; every value still undecided is asked,
 * or, with nobody to ask, refused in one line naming its flag.
 */
export async function resolveSettings(facts: RepositoryFacts, schema: InitGeneratorSchema, ask: Ask): Promise<InitSettings> {
  const flag = (value: string | undefined) => (value ?? '').trim();
  const given: string[] = [];
  const globs = { dockerfiles: flag(schema.dockerfiles), variants: flag(schema.variants) };
  if (globs.dockerfiles) given.push('dockerfiles');
  if (globs.variants) given.push('variants');
  // Self names given by flag change which images each one takes from: detection reads the bases under them.
  const givenSelfNames = selfNamesFlag(flag(schema.selfNames), given);
  const givenPlatforms = platformsFlag(flag(schema.platforms), given);
  const detectWith = (buildArgs?: BuildArgNames) =>
    detectRepository({
      ...facts,
      defaultBranch: flag(schema.defaultBranch) || facts.defaultBranch,
      given: {
        ...(globs.dockerfiles ? { dockerfiles: globs.dockerfiles } : {}),
        ...(globs.variants ? { variants: globs.variants } : {}),
        ...(buildArgs ? { buildArgs } : {}),
        ...(givenSelfNames ? { selfNames: givenSelfNames } : {}),
      },
    });
  const argFlags = [schema.registryArg, schema.repositoryArg, schema.imageTagArg, schema.baseTagArg].some((value) => flag(value) !== '');
  const first = detectWith();
  // Arg names given by flag change which FROMs resolve: read the bases again under them.
  const detection = argFlags ? detectWith(buildArgNames(first.buildArgs, schema)) : first;

  const answers: Partial<Record<Undecided['option'], string>> = {
    ...(flag(schema.registry) ? { registry: flag(schema.registry) } : {}),
    ...(flag(schema.repository) ? { repository: flag(schema.repository) } : {}),
    ...(flag(schema.defaultBranch) ? { defaultBranch: flag(schema.defaultBranch) } : {}),
    ...(globs.dockerfiles ? { dockerfiles: globs.dockerfiles } : {}),
    ...(flag(schema.repositoryArg) ? { buildArgs: flag(schema.repositoryArg) } : {}),
    ...(schema.testsRun ? { testsRun: schema.testsRun } : {}),
  };
  for (const option of Object.keys(answers)) if (option !== 'dockerfiles' && option !== 'buildArgs') given.push(option);
  for (const question of detection.undecided) {
    if (answers[question.option] !== undefined) continue;
    const answer = (await ask(question.question, question.choices))?.trim();
    if (!answer) throw new UserError({ subject: 'init', problem: `no answer to "${question.question}"`, fix: `pass ${FLAG[question.option]} (with --no-interactive every undecided value needs its flag)` });
    if (question.option === 'dockerfiles' || question.option === 'buildArgs') {
      // These change what everything else is read from: ask again with the answer as a flag.
      return resolveSettings(facts, { ...schema, ...(question.option === 'dockerfiles' ? { dockerfiles: answer } : { repositoryArg: answer }) }, ask);
    }
    answers[question.option] = answer;
    given.push(question.option);
  }

  const buildArgs = detection.buildArgs;
  if (argFlags) given.push('buildArgs');
  const testsRun = answers.testsRun ?? detection.tests?.run;
  if (testsRun !== undefined && testsRun !== 'image' && testsRun !== 'host') throw new UserError({ subject: 'init', problem: `--testsRun=${testsRun} is neither image nor host`, fix: 'say where the tests run' });
  // Several paths, comma-separated: tests/test_all.py,tests/test_{name}.py.
  const testsPaths = flag(schema.testsPath).split(',').map((path) => path.trim()).filter((path) => path !== '');
  if (testsPaths.length > 0) given.push('tests');
  const detected = testsPaths.length > 0 ? { path: testsPaths.length === 1 ? (testsPaths[0] ?? '') : testsPaths } : detection.tests;
  // Tests run on the host have no folder mounted in the image.
  const tests: TestsRule | undefined = detected && (testsRun === 'host' ? { path: detected.path, run: testsRun } : { ...detected, ...(testsRun ? { run: testsRun } : {}) });
  return {
    detection,
    registry: assertValidRegistry(answers.registry ?? detection.registry ?? ''),
    repository: normalizeRepository(answers.repository ?? detection.repository ?? ''),
    defaultBranch: answers.defaultBranch ?? detection.defaultBranch ?? '',
    dockerfiles: detection.dockerfiles,
    variants: detection.variants,
    buildArgs,
    selfNames: detection.selfNames,
    platforms: givenPlatforms ?? detection.platforms,
    ...(tests ? { tests } : {}),
    given,
  };
}

/** --selfNames, when given: comma-separated, `none` for none; each checked as nx.json's option is. */
function selfNamesFlag(text: string, given: string[]): string[] | undefined {
  if (text === '') return undefined;
  given.push('selfNames');
  if (text === 'none') return [];
  return selfNames(text.split(',').map((name) => name.trim()).filter((name) => name !== ''), { subject: 'init --selfNames' });
}

/** --platforms, when given: comma-separated, `default` for the runner's own; each checked as nx.json's option is. */
function platformsFlag(text: string, given: string[]): string[] | undefined {
  if (text === '') return undefined;
  given.push('platforms');
  if (text === 'default') return [];
  return assertPlatforms(text.split(',').map((platform) => platform.trim()).filter((platform) => platform !== ''), { subject: 'init --platforms' });
}

/** The detected arg names with each flag given over them; `none` is no arg. */
function buildArgNames(detected: BuildArgNames, schema: InitGeneratorSchema): BuildArgNames {
  const pick = (value: string | undefined, fallback: string, option: string): string => {
    const text = (value ?? '').trim();
    if (text === '') return fallback;
    if (text === 'none') return '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) throw new UserError({ subject: 'init', problem: `--${option}=${text} is not a build arg name`, fix: 'use letters, digits and _, or none' });
    return text;
  };
  const repository = pick(schema.repositoryArg, detected.repository, 'repositoryArg');
  if (repository === '') throw new UserError({ subject: 'init', problem: '--repositoryArg=none, but the images need an arg for the repository', fix: 'name it, e.g. --repositoryArg=REPOSITORY' });
  return {
    registry: pick(schema.registryArg, detected.registry, 'registryArg'),
    repository,
    imageTag: pick(schema.imageTagArg, detected.imageTag, 'imageTagArg'),
    baseTag: pick(schema.baseTagArg, detected.baseTag, 'baseTagArg'),
  };
}

import { afterAll, beforeAll } from 'vitest';
import { removeLocalImages } from '../../scripts/lib/local-images';
import { asRepository, fromBuiltMain, type BuiltMain, type MainRepository, type MainSpec } from './built-main';
import { DOCKER } from './second-engine';

/**
 * For a test file: a copy of `spec`'s built main (its workspace, and a
 * registry of its own holding what main's build pushed), made before the
 * file's first test. After its last, the engine's images of that registry go,
 * then the copy. The returned object is filled in before the first test.
 */
export function mainCopy(spec: MainSpec): BuiltMain {
  const main = {} as BuiltMain;
  beforeAll(async () => {
    Object.assign(main, await fromBuiltMain(spec));
  }, 600_000);
  afterAll(async () => {
    if (main.registry) await removeLocalImages({ docker: DOCKER, mode: 'classic', usesEngineStore: true }, `${main.registry.host}/`).catch(() => undefined);
    await main.cleanup?.();
  });
  return main;
}

/** mainCopy with what a CI test does with it: run ci:images on an event, read an image back (MainRepository). */
export function repositoryCopy(spec: MainSpec): MainRepository {
  const copy = mainCopy(spec);
  const main = {} as MainRepository;
  beforeAll(() => {
    Object.assign(main, asRepository(copy, spec));
  });
  return main;
}

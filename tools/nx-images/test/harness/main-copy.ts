import { afterAll, beforeAll } from 'vitest';
import { asRepository, fromBuiltMain, type BuiltMain, type MainRepository, type MainSpec } from './built-main';

/**
 * For a test file: a copy of `spec`'s built main (its workspace, and a
 * registry of its own holding what main's build pushed), made before the
 * file's first test. After its last, the copy goes, and with its registry the
 * engine's images named under it. The returned object is filled in before the first test.
 */
export function mainCopy(spec: MainSpec): BuiltMain {
  const main = {} as BuiltMain;
  beforeAll(async () => {
    Object.assign(main, await fromBuiltMain(spec));
  }, 600_000);
  afterAll(async () => {
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

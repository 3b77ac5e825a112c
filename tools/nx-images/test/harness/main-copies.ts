import { afterAll } from 'vitest';
import { mainRepository, type MainRepository, type MainSpec } from './built-main';

/**
 * For a test file: a function giving a fresh copy of `spec`'s built main on
 * each call, every copy removed after the file's tests (vitest's afterAll).
 */
export function copiesOfMain(spec: MainSpec): () => Promise<MainRepository> {
  const copies: MainRepository[] = [];
  afterAll(async () => {
    for (const copy of copies.splice(0)) await copy.cleanup();
  });
  return async () => {
    const copy = await mainRepository(spec);
    copies.push(copy);
    return copy;
  };
}

import { afterAll, beforeAll } from 'vitest';
import { fromBuiltMain, FORNAX_TREE_MAIN } from './built-main';
import { FanoutRun } from './fanout-run';
import { listTags, readImage, readImageFile } from './read-image';
import type { Registry } from './registry';
import { startSecondEngine, type SecondEngine } from './second-engine';
import type { Workspace } from './workspace';

// For a fan-out test file (fanout, fanout-failures): a copy of the twelve-image tree's built main, a
// private engine emptied before each job, and the FanoutRun that plays image-build.yml's jobs on it.

export const REPO = FORNAX_TREE_MAIN.repository;
const BASES_LABEL = 'dev.nx-images.bases';
export const IMAGES = ['archive-nb', 'env-ciao', 'env-core', 'env-fermi', 'env-heasoft', 'env-sas', 'fornax-base', 'fornax-hea', 'fornax-jupyter', 'fornax-main', 'fornax-nb', 'jupyter-base'];

export interface FanoutTree {
  registry: Registry;
  ws: Workspace;
  engine: SecondEngine;
  fanout: FanoutRun;
  c0: string;
  image(name: string, tag: string): ReturnType<typeof readImage>;
  file(name: string, tag: string, path: string): ReturnType<typeof readImageFile>;
  basesOf(name: string, tag: string): Promise<{ image: string; digest?: string; id?: string }[]>;
  /** The images of the tree that have `tag`. */
  taggedWith(tag: string): Promise<string[]>;
}

/** Registers the file's set-up and tear-down; the returned object is filled in before its first test. */
export function fanoutTree(): FanoutTree {
  const tree = {} as FanoutTree;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    // main, built once on one runner (shared with every test of the tree): what every branch falls back to.
    const [main, engine] = await Promise.all([fromBuiltMain(FORNAX_TREE_MAIN), startSecondEngine({ runnable: true })]);
    cleanup = main.cleanup;
    Object.assign(tree, { registry: main.registry, ws: main.ws, c0: main.c0, engine, fanout: new FanoutRun(main.ws, engine, main.registry.host, { IMAGE_REPOSITORY: REPO }) });
  }, 600_000);
  afterAll(async () => {
    tree.fanout?.cleanup();
    await tree.engine?.stop();
    await cleanup?.();
  });
  tree.image = (name, tag) => readImage(tree.registry.url, `${REPO}/${name}`, tag);
  tree.file = (name, tag, path) => readImageFile(tree.registry.url, `${REPO}/${name}`, tag, path);
  tree.basesOf = async (name, tag) => JSON.parse((await tree.image(name, tag))?.labels[BASES_LABEL] ?? '[]') as { image: string; digest?: string; id?: string }[];
  tree.taggedWith = async (tag) => {
    const tagged: string[] = [];
    for (const name of IMAGES) if ((await listTags(tree.registry.url, `${REPO}/${name}`)).includes(tag)) tagged.push(name);
    return tagged;
  };
  return tree;
}

import type { BuildArgNames } from '../dockerfile/repository-images';
import type { TestRule } from '../evidence/test-rule';
import type { VersionScheme } from '../release/version-scheme';
import { workspaceSettings } from './plugin-entry';
import type { WorkspaceSettings } from './plugin-options';

/**
 * What each inferred target carries of the plugin's options: one internal
 * `settings` option holding exactly what its executor reads, checked once
 * in createNodes (normalizePluginOptions) and trusted by the executor. An
 * executor's own options (tags, lockCommand, tests, mirrors, ...) are a
 * run's or a project.json's overrides of these, never a copy of them.
 */

/** docker-build's. */
export interface BuildSettings {
  buildArgNames: BuildArgNames;
  /** The literal names of this repository's images (nx.json's selfNames). */
  selfNames: string[];
  /** The per-build tag templates (nx.json's `tags`). */
  tagTemplates: string[];
  buildArgTemplates: Record<string, string>;
  /** The lock command; empty: the built-in one. */
  lockCommand: string[];
  /** nx.json's defaultBase, else main: where bases fall back to. */
  defaultBranch: string;
  /** The name of the test target, whose tests the build runs before a push. */
  testTarget: string;
  /** nx.json's platforms; empty: the runner's own. An image's docker-build option replaces it. */
  platforms: string[];
}

/** The test target's. */
export interface TestSettings {
  tests: TestRule;
  testCommand: string[];
  buildArgNames: BuildArgNames;
  selfNames: string[];
  /** Its own name, which every image's tests go by. */
  testTarget: string;
}

/** release's and release-check's. */
export interface ReleaseSettings {
  mirrors: string[];
  versionScheme: VersionScheme;
  testTarget: string;
}

/** publish's. */
export interface PublishSettings {
  mirrors: string[];
}

export interface TargetSettings {
  build: BuildSettings;
  test: TestSettings;
  release: ReleaseSettings;
  publish: PublishSettings;
}

/** Each target's settings, from the workspace's. */
export function targetSettings(settings: WorkspaceSettings): TargetSettings {
  const testTarget = settings.targets.test;
  return {
    build: {
      buildArgNames: { ...settings.buildArgs },
      selfNames: [...settings.selfNames],
      tagTemplates: [...settings.tagTemplates],
      buildArgTemplates: { ...settings.buildArgTemplates },
      lockCommand: [...settings.lockCommand],
      defaultBranch: settings.defaultBranch,
      testTarget,
      platforms: [...settings.platforms],
    },
    test: { tests: settings.tests, testCommand: [...settings.testCommand], buildArgNames: { ...settings.buildArgs }, selfNames: [...settings.selfNames], testTarget },
    release: { mirrors: [...settings.mirrors], versionScheme: settings.versionScheme, testTarget },
    publish: { mirrors: [...settings.mirrors] },
  };
}

/** What a target written by hand (an executor in a project.json, no plugin) runs with: the plugin's defaults. */
export const DEFAULT_TARGET_SETTINGS: TargetSettings = targetSettings(workspaceSettings(undefined));

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BaseRecord } from '../core/dockerfile/bases';
import type { TestResult } from '../core/evidence/image-tests';
import type { ReleaseRow } from '../core/ci/summary';
import type { PublishRecord } from './publish';

/** What one docker-build run did, for the CI summary and for people. */
export interface BuildRecord {
  project: string;
  image: string;
  /** The main reference, `registry/repository/image:tag`. */
  reference: string;
  tag: string;
  references: string[];
  pushed: boolean;
  /** A multi-platform build's platforms, each with the manifest its push wrote by digest (the index lists them; `digest` is the index). */
  platforms?: { platform: string; digest?: string; imageId?: string }[];
  /** The pushed manifest digest. */
  digest?: string;
  /** One platform of several, pushed by digest only (--digestOnly): `digest` is its manifest, under no tag yet; the merge job writes the index under `references` and these per-build tags, rendered with this platform's inventory. */
  part?: { buildTags: string[] };
  /** Why the push was skipped, when it was. */
  skippedPush?: string;
  /** The per-build tags after the push: written by this build, or left alone because another build has them. */
  buildTags?: BuildTagRecord[];
  imageId?: string;
  revision: string;
  /** The final stage's base (the base.name label). */
  baseImage?: string;
  /** Its manifest digest (the base.digest label). */
  baseDigest?: string;
  /** Every image of this repository the build took from, as the bases label records them. */
  bases: BaseRecord[];
  /** One line per base: which tag was used, and why. */
  baseNotes: string[];
  /** The image's tests, when they ran (or were skipped) before the push. */
  tests?: TestResult;
  /** The lock files exported from it before the push (and attached to its digest), and why there are none. */
  locks?: { files: string[]; note?: string };
  builder: string;
  /** The reuse digest of the build (core/inputs/reuse.ts), when it pushed. */
  reuseKey?: string;
  /** The earlier push whose image this one took instead of building: its first reference, commit, when and how long it built. */
  reused?: { from: string; revision: string; builtAt: string; seconds: number };
  /** When the build command started, when the record was written (ISO 8601): the build's own time, without Nx's start. */
  startedAt?: string;
  finishedAt: string;
}

/** One per-build tag: the digest it names now, and whether this build wrote it. */
export interface BuildTagRecord {
  tag: string;
  digest: string;
  written: boolean;
}

/** `dist/docker-build/<project>.json` under the workspace root. */
export function buildRecordPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'docker-build', `${project}.json`);
}

export async function writeBuildRecord(workspaceRoot: string, record: BuildRecord): Promise<string> {
  const path = buildRecordPath(workspaceRoot, record.project);
  await writeJson(path, record);
  return path;
}

/** `dist/docker-build/<project>.inventory.json`: the inventory of the image a build left in the engine, pushed or not. */
export function inventoryRecordPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'docker-build', `${project}.inventory.json`);
}

/** Writes the inventory text (inventoryJson) next to the build record. */
export async function writeInventoryRecord(workspaceRoot: string, project: string, json: string): Promise<string> {
  const path = inventoryRecordPath(workspaceRoot, project);
  await writeText(path, json);
  return path;
}

/** Written whole, then renamed, so a reader never sees half a record; two writers in one process each have their own partial file. */
async function writeJson(path: string, value: unknown): Promise<void> {
  await writeText(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(partial, text);
  await rename(partial, path);
}

export function readBuildRecord(workspaceRoot: string, project: string): Promise<BuildRecord | undefined> {
  return readJson<BuildRecord>(buildRecordPath(workspaceRoot, project));
}

/** A record as it was written; undefined when there is none (or it cannot be read). */
async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** How one image of a CI run ended, as its job leaves it for the summary. */
export interface OutcomeRecord {
  image: string;
  /** built: its build ran and wrote its BuildRecord; skipped: an image it takes from was not built by this run; stale: a newer run moved a base's tag. */
  outcome: 'built' | 'failed' | 'skipped' | 'stale';
  reason?: string;
}

/** `dist/ci-images/<image>.json` under the workspace root. */
export function outcomeRecordPath(workspaceRoot: string, image: string): string {
  return join(workspaceRoot, 'dist', 'ci-images', `${image}.json`);
}

export async function writeOutcomeRecord(workspaceRoot: string, record: OutcomeRecord): Promise<void> {
  await writeJson(outcomeRecordPath(workspaceRoot, record.image), record);
}

export function readOutcomeRecord(workspaceRoot: string, image: string): Promise<OutcomeRecord | undefined> {
  return readJson<OutcomeRecord>(outcomeRecordPath(workspaceRoot, image));
}

/** What a release did to one image: the row of the release's step summary, kept in dist/release/<image>.json. */
export type ReleaseRecord = ReleaseRow;

export function releaseRecordDir(workspaceRoot: string): string {
  return join(workspaceRoot, 'dist', 'release');
}

/** `dist/release/locks`: one archive of lock files per image released, which release.yml attaches to the GitHub release. */
export function lockArchiveDir(workspaceRoot: string): string {
  return join(workspaceRoot, 'dist', 'release', 'locks');
}

export async function writeReleaseRecord(workspaceRoot: string, record: ReleaseRecord): Promise<void> {
  await writeJson(join(releaseRecordDir(workspaceRoot), `${record.image}.json`), record);
}

/** `dist/image-test/<image>.json`: the result of an image's tests; its JUnit report is `dist/image-test/<image>/junit.xml`. */
export function testRecordPath(workspaceRoot: string, image: string): string {
  return join(workspaceRoot, 'dist', 'image-test', `${image}.json`);
}

export function testReportDir(workspaceRoot: string, image: string): string {
  return join(workspaceRoot, 'dist', 'image-test', image);
}

export async function writeTestRecord(workspaceRoot: string, image: string, result: TestResult): Promise<void> {
  await writeJson(testRecordPath(workspaceRoot, image), result);
}

export function readTestRecord(workspaceRoot: string, image: string): Promise<TestResult | undefined> {
  return readJson<TestResult>(testRecordPath(workspaceRoot, image));
}

/** `dist/publish/<image>.json`: where an image was copied and who was told (never the endpoints themselves). */
export function publishRecordPath(workspaceRoot: string, image: string): string {
  return join(workspaceRoot, 'dist', 'publish', `${image}.json`);
}

export async function writePublishRecord(workspaceRoot: string, record: PublishRecord): Promise<void> {
  await writeJson(publishRecordPath(workspaceRoot, record.image), record);
}

export function readPublishRecord(workspaceRoot: string, image: string): Promise<PublishRecord | undefined> {
  return readJson<PublishRecord>(publishRecordPath(workspaceRoot, image));
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BaseRecord } from '../core/bases';

/** What one docker-build run did, for the CI summary and for people. */
export interface BuildRecord {
  project: string;
  image: string;
  /** The main reference, `registry/repository/image:tag`. */
  reference: string;
  tag: string;
  references: string[];
  pushed: boolean;
  /** The pushed manifest digest. */
  digest?: string;
  /** Why the push was skipped, when it was. */
  skippedPush?: string;
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
  builder: string;
  finishedAt: string;
}

/** `dist/docker-build/<project>.json` under the workspace root. */
export function buildRecordPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'docker-build', `${project}.json`);
}

export async function writeBuildRecord(workspaceRoot: string, record: BuildRecord): Promise<string> {
  const path = buildRecordPath(workspaceRoot, record.project);
  await mkdir(dirname(path), { recursive: true });
  // Written whole, then renamed, so a reader never sees half a record.
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`);
  await rename(partial, path);
  return path;
}

export async function readBuildRecord(workspaceRoot: string, project: string): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(buildRecordPath(workspaceRoot, project), 'utf8')) as BuildRecord;
  } catch {
    return undefined;
  }
}

import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors';
import { INVENTORY_ARTIFACT_TYPE, INVENTORY_FILE, inventoryJson, parseInventory, type Inventory } from '../core/evidence/inventory';
import { SBOM_FILE, SBOM_MEDIA_TYPE } from '../core/evidence/sbom';
import { inventoryRecordPath } from './build-record';
import type { Attached, ReferrersApi } from './registry/referrers';

/**
 * An image's inventory and SBOM: attached to its pushed digest as two OCI
 * artifacts, read back from the registry (the newest of each), and the
 * inventory of the last local build read from dist/docker-build.
 */

/** Attaches the inventory (inventory.json) to a pushed digest. */
export function attachInventory(client: ReferrersApi, repoPath: string, digest: string, inventory: Inventory): Promise<Attached> {
  return client.attach(repoPath, digest, {
    artifactType: INVENTORY_ARTIFACT_TYPE,
    files: [{ title: INVENTORY_FILE, mediaType: 'application/json', bytes: Buffer.from(inventoryJson(inventory)) }],
  });
}

/** Attaches the CycloneDX SBOM (sbom.cdx.json) to a pushed digest, with the format's registered media type as artifact and file type. */
export function attachSbom(client: ReferrersApi, repoPath: string, digest: string, sbomJson: string): Promise<Attached> {
  return client.attach(repoPath, digest, {
    artifactType: SBOM_MEDIA_TYPE,
    files: [{ title: SBOM_FILE, mediaType: SBOM_MEDIA_TYPE, bytes: Buffer.from(sbomJson) }],
  });
}

/** The inventory attached to a digest (the newest, when there are several); undefined when none is. */
export async function readInventory(client: ReferrersApi, repoPath: string, digest: string): Promise<Inventory | undefined> {
  const where = `${repoPath}@${digest.slice(0, 19)}`;
  const bytes = await newestFile(client, repoPath, digest, INVENTORY_ARTIFACT_TYPE, INVENTORY_FILE, where);
  return bytes && parseInventory(bytes.toString('utf8'), `${where} (${INVENTORY_FILE})`);
}

/** The CycloneDX SBOM attached to a digest (the newest), as parsed JSON; undefined when none is. */
export async function readSbom(client: ReferrersApi, repoPath: string, digest: string): Promise<Record<string, unknown> | undefined> {
  const where = `${repoPath}@${digest.slice(0, 19)}`;
  const bytes = await newestFile(client, repoPath, digest, SBOM_MEDIA_TYPE, SBOM_FILE, where);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new UserError({ subject: where, problem: `its SBOM (${SBOM_FILE}) is not JSON`, fix: 'push the image again to attach a new one' });
  }
}

/** The inventory the last docker-build of a project wrote next to its build record; undefined when there is none. */
export async function readLocalInventory(workspaceRoot: string, project: string): Promise<Inventory | undefined> {
  const path = inventoryRecordPath(workspaceRoot, project);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseInventory(text, `${project} (dist/docker-build/${project}.inventory.json)`);
}

async function newestFile(client: ReferrersApi, repoPath: string, digest: string, artifactType: string, title: string, where: string): Promise<Buffer | undefined> {
  const attached = await client.referrers(repoPath, digest, artifactType);
  const newest = attached.at(-1);
  if (!newest) return undefined;
  const artifact = await client.readArtifact(repoPath, newest.digest);
  const file = artifact.files.find((candidate) => candidate.title === title);
  if (!file) throw new UserError({ subject: where, problem: `its ${artifactType} artifact ${newest.digest.slice(0, 19)} has no ${title}`, fix: 'push the image again to attach a new one' });
  return file.bytes;
}



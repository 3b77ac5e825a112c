import { UserError } from '../errors';

/**
 * What is inside an image: every package of every environment, read from
 * its lock set and its OS package database in the step that exports the
 * locks, and attached to its digest next to them. The one shape the SBOM,
 * the differences and the tag templates read.
 */

/** The artifact type of an image's inventory (inventory.json). */
export const INVENTORY_ARTIFACT_TYPE = 'application/vnd.nx-images.inventory.v1+json';
/** The file of the inventory artifact. */
export const INVENTORY_FILE = 'inventory.json';
/** The version of the inventory's JSON shape; a reader refuses a newer one in one line. */
export const INVENTORY_SCHEMA_VERSION = 1;

/** Where a package comes from. */
export type PackageSource = 'conda' | 'pypi' | 'deb' | 'apk' | 'rpm' | 'other';

export interface InventoryPackage {
  /** The environment: a conda environment's or venv's name, `system` for the OS packages. */
  environment: string;
  name: string;
  version: string;
  source: PackageSource;
  /** The package URL (https://github.com/package-url/purl-spec). */
  purl: string;
  /** conda: the channel; deb/rpm/apk: the distribution or architecture, as the lock file says. */
  channel?: string;
  /** conda: the build string. */
  build?: string;
  /** The lock file it was read from. */
  file: string;
}

/** A line of a lock file that could not be read: reported with the file and line, never fatal. */
export interface InventoryProblem {
  file: string;
  line: number;
  text: string;
  why: string;
}

export interface Inventory {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  image: string;
  /** Sorted by environment, then name, then source. */
  packages: InventoryPackage[];
  problems: InventoryProblem[];
  /** The distribution, from the image's /etc/os-release, when it has an OS package database. */
  os?: InventoryOs;
}

/** An image's distribution as /etc/os-release names it (ID, VERSION_ID, PRETTY_NAME). */
export interface InventoryOs {
  id: string;
  versionId?: string;
  prettyName?: string;
}

const SOURCES: readonly PackageSource[] = ['conda', 'pypi', 'deb', 'apk', 'rpm', 'other'];

/** An image with nothing to list: an empty inventory, not an error. */
export function emptyInventory(image: string, problems: InventoryProblem[] = []): Inventory {
  return { schemaVersion: INVENTORY_SCHEMA_VERSION, image, packages: [], problems };
}

/** The inventory's order: environment, then name, then source, then version (so duplicates sit together). */
export function comparePackages(a: InventoryPackage, b: InventoryPackage): number {
  return cmp(a.environment, b.environment) || cmp(a.name, b.name) || cmp(a.source, b.source) || cmp(a.version, b.version) || cmp(a.file, b.file);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The inventory as its artifact and its local file hold it: stable JSON, one trailing newline. */
export function inventoryJson(inventory: Inventory): string {
  return `${JSON.stringify(inventory, null, 2)}\n`;
}

/**
 * An inventory read back (from its artifact or its local file), checked
 * field by field; `where` names it in the one-line error a bad one gives.
 */
export function parseInventory(text: string, where: string): Inventory {
  const again = 'build and push the image again to write a new one';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError({ subject: where, problem: 'the inventory is not JSON', fix: again });
  }
  const value = parsed as Partial<Inventory> | null;
  if (typeof value?.schemaVersion === 'number' && value.schemaVersion > INVENTORY_SCHEMA_VERSION) {
    throw new UserError({ subject: where, problem: `the inventory has schema version ${value.schemaVersion}, newer than this plugin reads (${INVENTORY_SCHEMA_VERSION})`, fix: 'update the nx-images plugin' });
  }
  const bad = (why: string) => new UserError({ subject: where, problem: `the inventory ${why}`, fix: again });
  if (value?.schemaVersion !== INVENTORY_SCHEMA_VERSION || typeof value.image !== 'string') throw bad('has no schemaVersion 1 or no image');
  if (!Array.isArray(value.packages) || !Array.isArray(value.problems)) throw bad('has no packages or problems list');
  const packages = value.packages.map((entry: unknown, at) => {
    const item = entry as Partial<InventoryPackage> | null;
    const strings = ['environment', 'name', 'version', 'purl', 'file'] as const;
    if (!item || strings.some((key) => typeof item[key] !== 'string') || !SOURCES.includes(item.source as PackageSource)) throw bad(`package ${at + 1} is not a package`);
    if ((item.channel !== undefined && typeof item.channel !== 'string') || (item.build !== undefined && typeof item.build !== 'string')) throw bad(`package ${at + 1} has a channel or build that is not text`);
    return {
      environment: item.environment as string,
      name: item.name as string,
      version: item.version as string,
      source: item.source as PackageSource,
      purl: item.purl as string,
      ...(item.channel !== undefined ? { channel: item.channel } : {}),
      ...(item.build !== undefined ? { build: item.build } : {}),
      file: item.file as string,
    };
  });
  const problems = value.problems.map((entry: unknown, at) => {
    const item = entry as Partial<InventoryProblem> | null;
    if (!item || typeof item.file !== 'string' || typeof item.line !== 'number' || typeof item.text !== 'string' || typeof item.why !== 'string') throw bad(`problem ${at + 1} is not a problem`);
    return { file: item.file, line: item.line, text: item.text, why: item.why };
  });
  const os = value.os as Partial<InventoryOs> | undefined;
  if (os !== undefined && (typeof os?.id !== 'string' || (os.versionId !== undefined && typeof os.versionId !== 'string') || (os.prettyName !== undefined && typeof os.prettyName !== 'string'))) throw bad('has an os that is not one');
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    image: value.image,
    packages,
    problems,
    ...(os ? { os: { id: os.id as string, ...(os.versionId !== undefined ? { versionId: os.versionId } : {}), ...(os.prettyName !== undefined ? { prettyName: os.prettyName } : {}) } } : {}),
  };
}

import type { Inventory, InventoryPackage, PackageSource } from './inventory';

/**
 * What changed between two inventories of an image, environment by
 * environment: the answer to "which astropy is in this one, and what moved
 * since the last?". Pure and linear, so 5,000 packages a side take
 * milliseconds.
 */

/** A package as one side holds it: what a change shows. */
export interface PackageState {
  version: string;
  build?: string;
  channel?: string;
}

export interface PackageChange {
  name: string;
  source: PackageSource;
  /** version: another version; build: the same version, another build; channel: the same version and build, another channel. */
  kind: 'version' | 'build' | 'channel';
  from: PackageState;
  to: PackageState;
}

export interface PackageEntry {
  name: string;
  source: PackageSource;
  state: PackageState;
}

export interface EnvironmentDiff {
  environment: string;
  added: PackageEntry[];
  removed: PackageEntry[];
  changed: PackageChange[];
  unchanged: number;
}

export interface InventoryDiff {
  /** Only environments with an addition, a removal or a change; sorted by name. */
  environments: EnvironmentDiff[];
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
}

/** The name a package is matched by: PyPI names compare as PEP 503 normalizes them, every other source case-insensitively. */
function matchName(pkg: Pick<InventoryPackage, 'name' | 'source'>): string {
  const lower = pkg.name.toLowerCase();
  return pkg.source === 'pypi' ? lower.replace(/[-_.]+/g, '-') : lower;
}

interface Keyed {
  environment: string;
  name: string;
  source: PackageSource;
  states: PackageState[];
}

/** One entry per environment, source and package name; a package listed twice (two architectures) keeps both states. */
function keyed(packages: readonly InventoryPackage[]): Map<string, Keyed> {
  const map = new Map<string, Keyed>();
  for (const pkg of packages) {
    const key = `${pkg.environment}\u0000${pkg.source}\u0000${matchName(pkg)}`;
    const state: PackageState = { version: pkg.version, ...(pkg.build ? { build: pkg.build } : {}), ...(pkg.channel ? { channel: pkg.channel } : {}) };
    const entry = map.get(key);
    if (entry) entry.states.push(state);
    else map.set(key, { environment: pkg.environment, name: pkg.name, source: pkg.source, states: [state] });
  }
  return map;
}

/** Several states read as one: versions joined, so `1.0, 1.1` against `1.1` is a change. */
function merged(states: readonly PackageState[]): PackageState {
  if (states.length === 1 && states[0]) return states[0];
  const join = (values: (string | undefined)[]) => [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))].sort().join(', ');
  const build = join(states.map((state) => state.build));
  const channel = join(states.map((state) => state.channel));
  return { version: join(states.map((state) => state.version)), ...(build ? { build } : {}), ...(channel ? { channel } : {}) };
}

function changeKind(from: PackageState, to: PackageState): PackageChange['kind'] | undefined {
  if (from.version !== to.version) return 'version';
  if ((from.build ?? '') !== (to.build ?? '')) return 'build';
  if ((from.channel ?? '') !== (to.channel ?? '')) return 'channel';
  return undefined;
}

/** Sorted by name case-insensitively, then as written; each key made once, not once per comparison. */
function sortedByName<T extends { name: string }>(entries: T[]): T[] {
  const keyed = entries.map((entry) => ({ entry, lower: entry.name.toLowerCase() }));
  keyed.sort((a, b) => (a.lower < b.lower ? -1 : a.lower > b.lower ? 1 : a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  return keyed.map((item) => item.entry);
}

/** The differences from `from` to `to`, by environment. */
export function diffInventories(from: Pick<Inventory, 'packages'>, to: Pick<Inventory, 'packages'>): InventoryDiff {
  const before = keyed(from.packages);
  const after = keyed(to.packages);
  const environments = new Map<string, EnvironmentDiff>();
  const envOf = (environment: string): EnvironmentDiff => {
    let entry = environments.get(environment);
    if (!entry) {
      entry = { environment, added: [], removed: [], changed: [], unchanged: 0 };
      environments.set(environment, entry);
    }
    return entry;
  };
  for (const [key, now] of after) {
    const was = before.get(key);
    const state = merged(now.states);
    if (!was) {
      envOf(now.environment).added.push({ name: now.name, source: now.source, state });
      continue;
    }
    const previous = merged(was.states);
    const kind = changeKind(previous, state);
    if (kind) envOf(now.environment).changed.push({ name: now.name, source: now.source, kind, from: previous, to: state });
    else envOf(now.environment).unchanged++;
  }
  for (const [key, was] of before) {
    if (!after.has(key)) envOf(was.environment).removed.push({ name: was.name, source: was.source, state: merged(was.states) });
  }
  const all = [...environments.values()].sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
  for (const env of all) {
    env.added = sortedByName(env.added);
    env.removed = sortedByName(env.removed);
    env.changed = sortedByName(env.changed);
  }
  const sum = (pick: (env: EnvironmentDiff) => number) => all.reduce((total, env) => total + pick(env), 0);
  return {
    environments: all.filter((env) => env.added.length + env.removed.length + env.changed.length > 0),
    added: sum((env) => env.added.length),
    removed: sum((env) => env.removed.length),
    changed: sum((env) => env.changed.length),
    unchanged: sum((env) => env.unchanged),
  };
}

/** True when nothing was added, removed or changed. */
export function isUnchanged(diff: InventoryDiff): boolean {
  return diff.added + diff.removed + diff.changed === 0;
}

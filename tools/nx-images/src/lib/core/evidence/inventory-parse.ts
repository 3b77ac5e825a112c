import { PackageURL } from 'packageurl-js';
import { comparePackages, INVENTORY_SCHEMA_VERSION, type Inventory, type InventoryOs, type InventoryPackage, type InventoryProblem, type PackageSource } from './inventory';

/**
 * An image's inventory read from its lock set: `conda-<env>.txt` (conda list
 * --explicit), `pip-<env>.txt` (pip freeze), and the OS package database
 * listings the built-in lock command writes (`os-dpkg.txt`, `os-apk.txt`,
 * `os-rpm.txt`, with `os-release.txt`). A line that cannot be read is a
 * problem naming file and line; the rest is read on. Pure.
 */

/** The OS packages' environment. */
export const SYSTEM_ENVIRONMENT = 'system';
/** The OS listings and os-release copy the built-in lock command writes. */
export const OS_FILES = { dpkg: 'os-dpkg.txt', apk: 'os-apk.txt', rpm: 'os-rpm.txt', release: 'os-release.txt' } as const;

export interface LockFileText {
  name: string;
  text: string;
}

/** The inventory of a lock set, and a note for each file it did not read. */
export function inventoryFromLocks(image: string, files: readonly LockFileText[]): { inventory: Inventory; notes: string[] } {
  const releaseFile = files.find((file) => file.name === OS_FILES.release);
  const os = releaseFile ? parseOsRelease(releaseFile.text) : undefined;
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const read = readerFor(file.name, os);
    if (read === 'skip') continue;
    if (!read) {
      notes.push(`${file.name}: not a lock file this plugin reads (conda-<env>.txt, pip-<env>.txt, os-dpkg.txt, os-apk.txt, os-rpm.txt); left out of the inventory`);
      continue;
    }
    const result = read(file.text);
    packages.push(...result.packages);
    problems.push(...result.problems);
  }
  const kept = withoutCondaSeenByPip(packages).sort(comparePackages);
  const inventory: Inventory = { schemaVersion: INVENTORY_SCHEMA_VERSION, image, packages: kept, problems, ...(os && kept.some((pkg) => OS_SOURCE.has(pkg.source)) ? { os } : {}) };
  return { inventory, notes };
}

/** pip freeze in a conda environment also lists the Python packages conda installed: those are conda's, listed once. */
function withoutCondaSeenByPip(packages: InventoryPackage[]): InventoryPackage[] {
  const conda = new Set(packages.filter((pkg) => pkg.source === 'conda').map((pkg) => `${pkg.environment}\n${normalizePypiName(pkg.name)}`));
  return packages.filter((pkg) => pkg.source !== 'pypi' || !conda.has(`${pkg.environment}\n${pkg.name}`));
}

const OS_SOURCE = new Set<PackageSource>(['deb', 'apk', 'rpm']);

type Reader = (text: string) => Parsed;
interface Parsed {
  packages: InventoryPackage[];
  problems: InventoryProblem[];
}

function readerFor(name: string, os: InventoryOs | undefined): Reader | 'skip' | undefined {
  if (name === OS_FILES.release) return 'skip';
  if (name === OS_FILES.dpkg) return (text) => parseDpkg(text, name, os);
  if (name === OS_FILES.apk) return (text) => parseApk(text, name, os);
  if (name === OS_FILES.rpm) return (text) => parseRpm(text, name, os);
  const conda = /^conda-(.+)\.txt$/.exec(name);
  if (conda?.[1]) return (text) => parseCondaExplicit(text, name, conda[1]);
  const pip = /^pip-(.+)\.txt$/.exec(name);
  if (pip?.[1]) return (text) => parsePipFreeze(text, name, pip[1]);
  return undefined;
}

/** The lines of a text, numbered from 1, trimmed, without blank lines. */
function* lines(text: string): Generator<{ line: number; text: string }> {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let at = 0; at < all.length; at++) {
    const trimmed = (all[at] ?? '').trim();
    if (trimmed !== '') yield { line: at + 1, text: trimmed };
  }
}

function problem(file: string, line: number, text: string, why: string): InventoryProblem {
  // A problem quotes the line, never a whole megabyte of it.
  return { file, line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, why };
}

function purl(type: string, namespace: string | undefined, name: string, version: string, qualifiers: Record<string, string | undefined>): string {
  const present = Object.fromEntries(Object.entries(qualifiers).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  return new PackageURL(type, namespace ?? null, name, version === '' ? null : version, Object.keys(present).length > 0 ? present : null, null).toString();
}

const CONDA_FILE = /^(.+)-([^-]+)-([^-]+)\.(conda|tar\.bz2)$/;

/** `conda list --explicit`: a URL per package, `.../<channel>/<subdir>/<name>-<version>-<build>.conda` (or .tar.bz2), `#<hash>` after it. */
export function parseCondaExplicit(text: string, file: string, environment: string): Parsed {
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  for (const { line, text: raw } of lines(text)) {
    if (raw.startsWith('#') || raw === '@EXPLICIT') continue;
    const url = raw.split('#')[0]?.trim() ?? '';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(problem(file, line, raw, 'not a package URL of conda list --explicit'));
      continue;
    }
    const segments = parsed.pathname.split('/').filter((segment) => segment !== '');
    const filename = decodeURIComponent(segments.at(-1) ?? '');
    const match = CONDA_FILE.exec(filename);
    if (!match || segments.length < 2) {
      problems.push(problem(file, line, raw, 'the URL does not end in <subdir>/<name>-<version>-<build>.conda or .tar.bz2'));
      continue;
    }
    const [, name = '', version = '', build = '', extension = ''] = match;
    const subdir = segments.at(-2) ?? '';
    const channelUrl = `${parsed.protocol}//${parsed.host}/${segments.slice(0, -2).join('/')}`.replace(/\/$/, '');
    const channel = condaChannelName(parsed.host, segments.slice(0, -2), channelUrl);
    packages.push({
      environment,
      name: name.toLowerCase(),
      version,
      source: 'conda',
      purl: purl('conda', undefined, name.toLowerCase(), version, { build, channel, subdir, type: extension }),
      channel,
      build,
      file,
    });
  }
  return { packages, problems };
}

/** The channel as conda names it: `conda-forge` on anaconda.org, `main` for repo.anaconda.com/pkgs/main, else its URL. */
function condaChannelName(host: string, path: string[], url: string): string {
  if (host === 'conda.anaconda.org' && path.length > 0) return path.join('/');
  if (host === 'repo.anaconda.com' && path[0] === 'pkgs' && path.length > 1) return path.slice(1).join('/');
  return url;
}

/** PEP 503: runs of `-`, `_` and `.` become one `-`, lowercase. */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const PIP_PINNED = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?\s*===?\s*([^\s;#]+)\s*(?:;.*)?$/;
const PIP_DIRECT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?\s+@\s+(\S+)\s*(?:;.*)?$/;
const PIP_EDITABLE_COMMENT = /^#\s*Editable(?: Git)? install with no (?:version control|remote)\s*\(([^=\s)]+)==([^\s)]+)\)/i;
const DIST_FILE = /^([A-Za-z0-9._]+?)-(\d[^-]*?)(?:-[^/]*)?\.(?:whl|tar\.gz|zip|tar\.bz2)$/;

/** `pip freeze`: `name==version`, `name @ url`, `-e <vcs url>#egg=name` (with pip's comment before it naming the version). */
export function parsePipFreeze(text: string, file: string, environment: string): Parsed {
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  let editable: { name: string; version: string } | undefined;
  const add = (name: string, version: string, qualifiers: Record<string, string | undefined> = {}) => {
    const normalized = normalizePypiName(name);
    packages.push({ environment, name: normalized, version, source: 'pypi', purl: purl('pypi', undefined, normalized, version, qualifiers), file });
  };
  for (const { line, text: raw } of lines(text)) {
    const comment = PIP_EDITABLE_COMMENT.exec(raw);
    if (comment) {
      editable = { name: comment[1] ?? '', version: comment[2] ?? '' };
      continue;
    }
    if (raw.startsWith('#')) continue;
    if (raw.startsWith('-e ') || raw.startsWith('--editable')) {
      const target = raw.replace(/^(-e|--editable)[\s=]+/, '');
      const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(target)?.[1];
      const name = egg ?? editable?.name;
      if (!name) problems.push(problem(file, line, raw, 'an editable install whose name neither #egg= nor pip’s comment before it gives'));
      else add(name, editable && normalizePypiName(editable.name) === normalizePypiName(name) ? editable.version : '', target.includes('://') ? { vcs_url: target.split('#')[0] } : {});
      editable = undefined;
      continue;
    }
    editable = undefined;
    // pip's own options (-i, --index-url, -f, ...) name no package.
    if (raw.startsWith('-')) continue;
    const pinned = PIP_PINNED.exec(raw);
    if (pinned) {
      add(pinned[1] ?? '', pinned[2] ?? '');
      continue;
    }
    const direct = PIP_DIRECT.exec(raw);
    if (direct) {
      const url = direct[2] ?? '';
      const dist = DIST_FILE.exec(decodeURIComponent(url.split(/[?#]/)[0]?.split('/').at(-1) ?? ''));
      const version = dist && normalizePypiName(dist[1] ?? '') === normalizePypiName(direct[1] ?? '') ? (dist[2] ?? '') : '';
      add(direct[1] ?? '', version, /^(git|hg|svn|bzr)\+/.test(url) ? { vcs_url: url } : { download_url: url });
      continue;
    }
    problems.push(problem(file, line, raw, 'not name==version, name @ url or -e of pip freeze'));
  }
  return { packages, problems };
}

/** /etc/os-release: ID, VERSION_ID and PRETTY_NAME; undefined without an ID. */
export function parseOsRelease(text: string): InventoryOs | undefined {
  const values: Record<string, string> = {};
  for (const { text: raw } of lines(text)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(raw);
    if (!match) continue;
    values[match[1] ?? ''] = (match[2] ?? '').replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["$`\\])/g, '$1');
  }
  const id = values['ID']?.toLowerCase();
  if (!id || !/^[a-z0-9._-]+$/.test(id)) return undefined;
  return { id, ...(values['VERSION_ID'] ? { versionId: values['VERSION_ID'] } : {}), ...(values['PRETTY_NAME'] ? { prettyName: values['PRETTY_NAME'] } : {}) };
}

/** The purl `distro` qualifier and the inventory's channel: `debian-12`, `alpine-3.19.1`, or the ID alone. */
function distroOf(os: InventoryOs | undefined): string | undefined {
  if (!os) return undefined;
  return os.versionId ? `${os.id}-${os.versionId}` : os.id;
}

/** `dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n'`: installed packages only. */
export function parseDpkg(text: string, file: string, os: InventoryOs | undefined): Parsed {
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  const namespace = os?.id ?? 'debian';
  const distro = distroOf(os);
  for (const { line, text: raw } of lines(text)) {
    const [name = '', version = '', arch, status] = raw.split('\t').map((field) => field.trim());
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name) || !/^[0-9][A-Za-z0-9.+~:-]*$/.test(version)) {
      problems.push(problem(file, line, raw, 'not <package>\\t<version>\\t<architecture>\\t<status> of dpkg-query'));
      continue;
    }
    // Status `rc`: removed, only its configuration files are left.
    if (status && status[1] !== 'i') continue;
    packages.push({ environment: SYSTEM_ENVIRONMENT, name, version, source: 'deb', purl: purl('deb', namespace, name, version, { arch, distro }), ...(distro ? { channel: distro } : {}), file });
  }
  return { packages, problems };
}

const APK_PACKAGE = /^(.+)-([0-9][^-]*-r[0-9]+)$/;

/** `apk list -I` (`<name>-<version>-r<n> <arch> {origin} (license) [installed]`) or `apk info -v` (`<name>-<version>-r<n>`). */
export function parseApk(text: string, file: string, os: InventoryOs | undefined): Parsed {
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  const distro = distroOf(os);
  for (const { line, text: raw } of lines(text)) {
    if (raw.startsWith('WARNING')) continue;
    const [word = '', second] = raw.split(/\s+/);
    const match = APK_PACKAGE.exec(word);
    if (!match) {
      problems.push(problem(file, line, raw, 'not <name>-<version>-r<n> of apk list -I or apk info -v'));
      continue;
    }
    const [, name = '', version = ''] = match;
    const arch = second && /^[A-Za-z0-9_]+$/.test(second) ? second : undefined;
    packages.push({ environment: SYSTEM_ENVIRONMENT, name, version, source: 'apk', purl: purl('apk', os?.id ?? 'alpine', name, version, { arch, distro }), ...(distro ? { channel: distro } : {}), file });
  }
  return { packages, problems };
}

/** `rpm -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n'` (EPOCH `(none)` when there is none). */
export function parseRpm(text: string, file: string, os: InventoryOs | undefined): Parsed {
  const packages: InventoryPackage[] = [];
  const problems: InventoryProblem[] = [];
  const distro = distroOf(os);
  for (const { line, text: raw } of lines(text)) {
    const [name = '', epoch = '', version = '', arch = ''] = raw.split('\t').map((field) => field.trim());
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || !/^[^\s-]+-[^\s-]+$/.test(version) || !/^(\(none\)|\d+)$/.test(epoch)) {
      problems.push(problem(file, line, raw, 'not <name>\\t<epoch>\\t<version>-<release>\\t<arch> of rpm -qa'));
      continue;
    }
    // gpg-pubkey entries are the keys rpm trusts, not software.
    if (name === 'gpg-pubkey') continue;
    const hasEpoch = /^\d+$/.test(epoch) && epoch !== '0';
    const archQualifier = arch && arch !== '(none)' ? arch : undefined;
    packages.push({
      environment: SYSTEM_ENVIRONMENT,
      name,
      version: hasEpoch ? `${epoch}:${version}` : version,
      source: 'rpm',
      purl: purl('rpm', os?.id ?? 'rpm', name, version, { arch: archQualifier, epoch: hasEpoch ? epoch : undefined, distro }),
      ...(distro ? { channel: distro } : {}),
      file,
    });
  }
  return { packages, problems };
}

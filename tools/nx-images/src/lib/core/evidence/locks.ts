import { UserError, type Problem, type Subject } from '../errors';

/**
 * Environment lock files: written inside an image right after its build (a
 * command that writes into LOCKS_DIR), attached to its digest in the
 * registry as an OCI artifact, and collected by the release into one
 * archive per image. Pure: the command, the checks and the names.
 */

/** The artifact type of an image's lock set. */
export const LOCKS_ARTIFACT_TYPE = 'application/vnd.nx-images.environment-locks.v1+json';
/** Its type on lock sets attached before the neutral names: read, never written. */
export const LEGACY_LOCKS_ARTIFACT_TYPES: readonly string[] = ['application/vnd.fornax.environment-locks.v1+json'];
/** The annotation on a lock set's artifact: how many lock files it holds. */
export const LOCK_FILES_ANNOTATION = 'dev.nx-images.lock-files';
/** Its key on lock sets attached before the neutral names: read, never written. */
export const LEGACY_LOCK_FILES_ANNOTATIONS: readonly string[] = ['io.github.nasa-fornax.images.lock-files'];
/** Where the lock folder is mounted in the container, and the LOCKS_DIR the command writes into. */
export const LOCKS_MOUNT = '/fornax-locks';
/** The file of the artifact that describes the set: which files, and why there are none. */
export const LOCKS_INDEX_FILE = 'locks.json';
/** The file an archive of an empty set holds instead. */
export const NO_LOCKS_FILE = 'NO-LOCK-FILES.txt';

/** Limits on what a lock command may leave: lock files are text, a few MiB at most. */
export const MAX_LOCK_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_LOCK_FILES = 200;

/**
 * The OS package database, when the image has one (its database file, not
 * merely a command: busybox has dpkg and rpm applets of its own), and
 * /etc/os-release beside it for the distribution; an empty listing leaves no
 * file. The file names tell the inventory the format (inventory-parse.ts).
 */
const OS_PACKAGES_SCRIPT = [
  'oslist() { [ -s "$out/$1" ] && os=1 || rm -f "$out/$1"; }',
  'os=0',
  'if [ -f /var/lib/dpkg/status ] && command -v dpkg-query >/dev/null 2>&1; then',
  '  dpkg-query -W -f=\'${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n\' > "$out/os-dpkg.txt" 2>/dev/null; oslist os-dpkg.txt',
  'fi',
  'if [ -f /lib/apk/db/installed ] && command -v apk >/dev/null 2>&1; then',
  '  { apk list -I 2>/dev/null || apk info -v 2>/dev/null; } > "$out/os-apk.txt"; oslist os-apk.txt',
  'fi',
  'if { [ -d /var/lib/rpm ] || [ -d /usr/lib/sysimage/rpm ]; } && command -v rpm >/dev/null 2>&1; then',
  '  rpm -qa --qf \'%{NAME}\\t%{EPOCH}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n\' > "$out/os-rpm.txt" 2>/dev/null; oslist os-rpm.txt',
  'fi',
  'if [ "$os" = 1 ]; then',
  '  for release in /etc/os-release /usr/lib/os-release; do [ -f "$release" ] && { cat "$release" > "$out/os-release.txt"; break; }; done',
  'fi',
];

/**
 * The built-in command: `conda list --explicit` for every conda environment
 * (and `pip freeze` of its Python), `pip freeze` for every virtual
 * environment, else the system Python's; and the OS package listing
 * (OS_PACKAGES_SCRIPT). An image with none of these gets an empty set.
 * POSIX sh only, so it runs on busybox as on the real images.
 */
export const DEFAULT_LOCK_SCRIPT = [
  'set -u',
  'out="${LOCKS_DIR}"',
  'tab="$(printf "\\t")"',
  'freeze() { "$1" -m pip --version >/dev/null 2>&1 && "$1" -m pip freeze --all > "$2" 2>/dev/null || rm -f "$2"; }',
  'if command -v conda >/dev/null 2>&1; then',
  '  conda env list | awk \'!/^#/ && NF { print (NF > 1 && $1 != "*" ? $1 : "") "\\t" $NF }\' > "$out/.envs" || exit 1',
  '  while IFS="$tab" read -r name prefix; do',
  '    [ -d "$prefix" ] || continue',
  '    [ -n "$name" ] || name="$(basename "$prefix")"',
  '    conda list --explicit --prefix "$prefix" > "$out/conda-$name.txt" || exit 1',
  '    [ -x "$prefix/bin/python" ] && freeze "$prefix/bin/python" "$out/pip-$name.txt"',
  '  done < "$out/.envs"',
  '  rm -f "$out/.envs"',
  'fi',
  'find / -xdev -maxdepth 6 -name pyvenv.cfg -type f 2>/dev/null > "$out/.venvs"',
  'while IFS= read -r cfg; do',
  '  venv="$(dirname "$cfg")"',
  '  [ -x "$venv/bin/python" ] && freeze "$venv/bin/python" "$out/pip-venv$(printf %s "$venv" | tr -c "A-Za-z0-9._-" "-").txt"',
  'done < "$out/.venvs"',
  'rm -f "$out/.venvs"',
  'if ! command -v conda >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then freeze python3 "$out/pip-system.txt"; fi',
  ...OS_PACKAGES_SCRIPT,
  'exit 0',
].join('\n');

/** The argv run in the image: the configured command, else the built-in script through sh. */
export function lockCommand(configured: readonly string[]): { argv: string[]; builtIn: boolean } {
  if (configured.length > 0) return { argv: [...configured], builtIn: false };
  return { argv: ['sh', '-c', DEFAULT_LOCK_SCRIPT], builtIn: true };
}

const LOCK_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks what a lock command left: plain files with plain names, within the limits; the problem, naming the image and the fix. */
export function lockFilesProblem(image: string, files: readonly { name: string; size: number; kind: 'file' | 'other' }[]): Problem | undefined {
  const fix = 'the lock command must write plain files with names of letters, digits, ".", "_" and "-" straight into $LOCKS_DIR';
  const other = files.find((file) => file.kind !== 'file');
  if (other) return { subject: image, problem: `the lock command left ${JSON.stringify(other.name)}, which is not a plain file`, fix };
  const badName = files.find((file) => !LOCK_FILE_NAME.test(file.name) || file.name === LOCKS_INDEX_FILE || file.name === NO_LOCKS_FILE);
  if (badName) return { subject: image, problem: `the lock command wrote ${JSON.stringify(badName.name.slice(0, 80))}, a name that is reserved or not plain`, fix };
  if (files.length > MAX_LOCK_FILES) return { subject: image, problem: `the lock command wrote ${files.length} files, over ${MAX_LOCK_FILES}`, fix: 'write one file per environment' };
  const big = files.find((file) => file.size > MAX_LOCK_FILE_BYTES);
  if (big) return { subject: image, problem: `lock file ${big.name} is ${big.size} bytes, over ${MAX_LOCK_FILE_BYTES}`, fix: 'a lock file lists packages; check the command' };
  return undefined;
}

/** What an image's lock set says of itself (the artifact's locks.json). */
export interface LockIndex {
  image: string;
  /** The image ID the command ran in. */
  imageId?: string;
  files: string[];
  /** Why the set is empty (or partial); undefined when it is not. */
  note?: string;
}

/** The lock set's own description, read back from its artifact; undefined for bytes that are not one. */
export function parseLockIndex(bytes: Buffer): LockIndex | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Partial<LockIndex>;
    if (typeof parsed.image !== 'string' || !Array.isArray(parsed.files) || !parsed.files.every((name) => typeof name === 'string' && LOCK_FILE_NAME.test(name))) return undefined;
    return { image: parsed.image, files: parsed.files, ...(typeof parsed.imageId === 'string' ? { imageId: parsed.imageId } : {}), ...(typeof parsed.note === 'string' ? { note: parsed.note } : {}) };
  } catch {
    return undefined;
  }
}

/** The archive a release writes for an image: `<image>-<tag>-locks.tar.gz`. */
export function lockArchiveName(image: string, tag: string): string {
  return `${image}-${tag}-locks.tar.gz`;
}

/** The text an archive of an empty set holds, so it never looks like a mistake. */
export function noLocksText(image: string, digest: string, note: string | undefined): string {
  return `${image} (${digest}) has no environment lock files: ${note ?? 'its lock command wrote none'}.\n`;
}

/**
 * Whether an image may be released as far as its locks go: it needs a lock
 * set attached (an empty one counts); `allowMissingLocks` lets it go without.
 */
export function locksProblem(input: { image: string; at: string; project: string; attached: boolean; allowMissingLocks: boolean }): Problem | undefined {
  if (input.attached || input.allowMissingLocks) return undefined;
  return {
    subject: input.image,
    problem: `${input.at} has no environment lock set attached (it was pushed before lock sets were made, or by another tool)`,
    fix: `push it again (nx run ${input.project}:docker-build --push, as CI does), or release with --allowMissingLocks`,
  };
}

/** Throws unless a configured lock command is a list of non-empty words. */
export function assertLockCommand(command: unknown, where: Subject): string[] {
  if (command === undefined) return [];
  if (!Array.isArray(command) || !command.every((word) => typeof word === 'string' && word.trim() !== '')) {
    throw new UserError({ ...where, problem: 'not a list of non-empty strings', fix: 'give one such as ["sh", "/opt/export-locks.sh"]' });
  }
  return command as string[];
}

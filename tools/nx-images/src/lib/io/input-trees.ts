import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { InputsSource, TreeFile } from '../core/inputs/build-inputs';
import { isSha } from '../core/naming/conventions';
import { run } from './exec';

/** The files whose text an inputs computation reads: the ignore files. */
const isIgnoreFile = (path: string) => posix.basename(path) === '.dockerignore' || path.endsWith('.dockerignore');

/**
 * A commit's whole tree as git holds it (`git ls-tree -r`), with the text
 * of every ignore file (and of the files `alsoText` names, Dockerfiles say)
 * read in one `git cat-file --batch`: what the plan computes each image's
 * inputs from, at HEAD and at the commit it compares with.
 */
export async function treeAtCommit(cwd: string, commit: string, alsoText: readonly string[] = []): Promise<InputsSource> {
  if (!isSha(commit)) throw new Error(`treeAtCommit: ${JSON.stringify(commit)} is not a commit name`);
  const listing = await run({ command: 'git', args: ['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit], cwd });
  const files: TreeFile[] = [];
  for (const entry of listing.stdout.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', , id = ''] = entry.slice(0, tab).split(' ');
    files.push({ path: entry.slice(tab + 1), mode, id });
  }
  const texts = await blobTexts(cwd, files.filter((file) => isIgnoreFile(file.path) || alsoText.includes(file.path)));
  return { files, text: (path) => texts.get(path) };
}

/** The text of each blob, by path, through one `git cat-file --batch`. */
async function blobTexts(cwd: string, files: readonly TreeFile[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (files.length === 0) return texts;
  const output = await run({ command: 'git', args: ['cat-file', '--batch'], cwd }, { input: files.map((file) => `${file.id}\n`).join('') });
  // Each answer: "<oid> blob <size>\n<content>\n"; ignore files are text.
  let rest = output.stdout;
  for (const file of files) {
    const header = /^(\S+) (\S+) (\d+)\n/.exec(rest);
    if (!header) break;
    const size = Number(header[3]);
    const body = Buffer.from(rest.slice(header[0].length), 'utf8').subarray(0, size).toString('utf8');
    if (header[2] === 'blob') texts.set(file.path, body);
    rest = rest.slice(header[0].length + body.length + 1);
  }
  return texts;
}

/**
 * Files on the disk under `folders` (workspace-relative), as the engine
 * would read them for a build: every file, ignored by git or not (a step
 * before the build writes some), hashed by content. Symbolic links are
 * hashed by their target, as a build context sends them.
 */
export async function treeOnDisk(workspaceRoot: string, folders: readonly string[]): Promise<InputsSource> {
  const files: TreeFile[] = [];
  const texts = new Map<string, string>();
  const seen = new Set<string>();
  const visit = async (absolute: string): Promise<void> => {
    const path = relative(workspaceRoot, absolute).split(sep).join('/');
    if (seen.has(path)) return;
    seen.add(path);
    const info = await lstat(absolute).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of (await readdir(absolute)).sort()) await visit(join(absolute, name));
      return;
    }
    if (info.isSymbolicLink()) {
      files.push({ path, mode: '120000', id: hash(await readlink(absolute)) });
      return;
    }
    if (!info.isFile()) return;
    files.push({ path, mode: info.mode & 0o111 ? '100755' : '100644', id: await hashFile(absolute) });
    if (isIgnoreFile(path)) texts.set(path, await readFile(absolute, 'utf8'));
  };
  for (const folder of folders) await visit(join(workspaceRoot, folder));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, text: (path) => texts.get(path) };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const digest = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => digest.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(digest.digest('hex')));
  });
}

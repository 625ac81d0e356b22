import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

const IGNORE_FILE = '.statsmolnignore';
const MANIFEST = /\.ya?ml$/;

/** Globs of a .statsmolnignore line: names relative to its directory, `*` within one segment. */
function toMatcher(pattern: string): RegExp {
  const trimmed = pattern.replace(/\/$/, '');
  const source = trimmed.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${source}$`);
}

async function ignoredNames(directory: string): Promise<RegExp[]> {
  const text = await readFile(join(directory, IGNORE_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(toMatcher);
}

/**
 * The YAML files named by the arguments: a file is taken as given; a directory is walked,
 * skipping dot-entries and what its .statsmolnignore lists, in a stable order.
 */
export async function discoverManifests(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new Error(`${path}: no such file or directory`);
    if (info.isDirectory()) await walk(path, path, found);
    else found.push(path);
  }
  return found;
}

async function walk(root: string, directory: string, found: string[]): Promise<void> {
  const ignored = await ignoredNames(directory);
  const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || ignored.some((matcher) => matcher.test(entry.name))) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) await walk(root, path, found);
    else if (entry.isFile() && MANIFEST.test(entry.name)) found.push(relative('.', path) || path);
  }
}

import { open, rename, writeFile } from 'node:fs/promises';

/** fsyncs a directory so that creations, renames and deletions in it survive a crash. */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces a file atomically and durably: write a temporary file, fsync, rename, fsync the directory. */
export async function writeFileDurably(directory: string, name: string, content: string): Promise<void> {
  const target = `${directory}/${name}`;
  const temporary = `${target}.tmp`;
  await writeFile(temporary, content);
  const handle = await open(temporary, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  await fsyncDirectory(directory);
}

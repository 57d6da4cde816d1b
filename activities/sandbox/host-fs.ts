import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { FsEntry } from './entries';

/**
 * Writes entries to the host filesystem (local runtime and local evaluation). Ownership cannot be
 * changed without privileges, so only modes apply, and never world-writable ones: a shared
 * sticky directory in a container is just a directory on the host.
 */
export async function writeHostEntries(entries: FsEntry[]): Promise<void> {
  const dirs = entries.filter((e) => e.kind === 'dir');
  // Directories are created writable and get their final (maybe read-only) mode once filled.
  for (const dir of dirs) {
    await fs.mkdir(dir.path, { recursive: true });
    await fs.chmod(dir.path, 0o755);
  }
  for (const file of entries) {
    if (file.kind !== 'file') continue;
    await fs.mkdir(path.dirname(file.path), { recursive: true });
    await fs.rm(file.path, { force: true }); // a read-only copy from an earlier write
    if (Buffer.isBuffer(file.content)) await fs.writeFile(file.path, file.content);
    else await fs.copyFile(file.content.hostPath, file.path, constants.COPYFILE_FICLONE);
    await fs.chmod(file.path, file.mode & 0o755);
  }
  for (const dir of [...dirs].reverse()) await fs.chmod(dir.path, dir.mode & 0o755);
}

/** Removes a tree that may hold read-only directories (which would refuse to be emptied). */
export async function removeHostTree(root: string): Promise<void> {
  const makeWritable = async (dir: string): Promise<void> => {
    const stat = await fs.lstat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) return;
    await fs.chmod(dir, 0o755);
    for (const name of await fs.readdir(dir)) await makeWritable(path.join(dir, name));
  };
  await makeWritable(root);
  await fs.rm(root, { recursive: true, force: true });
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { FileToCopy } from './runtime';

export type Owner = FileToCopy['owner'];

/** A file to place in a sandbox, its bytes either in memory or read from the host when copied. */
export interface FileEntry {
  kind: 'file';
  /** Absolute path inside the sandbox. */
  path: string;
  mode: number;
  owner: Owner;
  content: Buffer | { hostPath: string; size: number };
}

export interface DirEntry {
  kind: 'dir';
  path: string;
  mode: number;
  owner: Owner;
}

/** What the runtimes write: the tar stream for docker, the host filesystem for local. */
export type FsEntry = FileEntry | DirEntry;

export const fileEntry = (f: FileToCopy): FileEntry => ({ kind: 'file', ...f });

/**
 * Orders entries so every directory precedes what it holds, and merges directories listed twice:
 * a directory that holds files of both owners becomes root-owned, world-writable and sticky, so
 * the agent may add its own files there but cannot delete or rename the root-owned ones.
 */
export function normalizeEntries(entries: FsEntry[]): FsEntry[] {
  const dirs = new Map<string, DirEntry>();
  const files = new Map<string, FileEntry>();
  for (const entry of entries) {
    if (entry.kind === 'file') {
      files.set(entry.path, entry);
      continue;
    }
    const seen = dirs.get(entry.path);
    if (seen && seen.owner !== entry.owner) dirs.set(entry.path, { ...entry, owner: 'root', mode: 0o1777 });
    else if (!seen) dirs.set(entry.path, entry);
  }
  const depth = (p: string) => p.split('/').length;
  const sortedDirs = [...dirs.values()].sort((a, b) => depth(a.path) - depth(b.path) || a.path.localeCompare(b.path));
  return [...sortedDirs, ...files.values()];
}

/** The directories strictly between `root` and `file`, outermost first. */
export function dirsBetween(root: string, file: string): string[] {
  const rel = path.posix.relative(root, path.posix.dirname(file));
  if (rel === '' || rel.startsWith('..')) return [];
  const parts = rel.split('/');
  return parts.map((_, i) => path.posix.join(root, ...parts.slice(0, i + 1)));
}

/** A regular file found on the host, relative to the folder it was collected from. */
export interface HostFile {
  rel: string;
  hostPath: string;
  size: number;
  executable: boolean;
}

const SKIPPED = new Set(['__pycache__', '.git', '.DS_Store']);

/** Every regular file under `hostPath` (itself when it is a file), following symlinks. */
export async function walkHost(hostPath: string, rel: string): Promise<HostFile[]> {
  const stat = await fs.stat(hostPath);
  if (stat.isFile()) return [{ rel, hostPath, size: stat.size, executable: (stat.mode & 0o111) !== 0 }];
  if (!stat.isDirectory()) return [];
  const names = (await fs.readdir(hostPath)).filter((n) => !SKIPPED.has(n) && !n.endsWith('.pyc')).sort();
  const nested = await Promise.all(names.map((n) => walkHost(path.join(hostPath, n), path.posix.join(rel, n))));
  return nested.flat();
}

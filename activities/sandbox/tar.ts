import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import type { FsEntry, Owner } from './entries';
import { NotAFileError } from './errors';
import { AGENT_UID, diskFolders } from './paths';

/** Numeric ids of the sandbox users. */
const UID: Record<Owner, number> = { agent: AGENT_UID, root: 0 };

/**
 * The entries by the deepest of `roots` strictly holding each ('/' otherwise), for one putArchive
 * per root: Docker writes an archive only into a mount when the root filesystem is read-only.
 * Groups come in the order of their last entries, so the last entry is still written last.
 */
export function groupByRoot(entries: FsEntry[], roots: readonly string[]): { root: string; entries: FsEntry[] }[] {
  const rootOf = (p: string) =>
    roots.filter((root) => p.startsWith(`${root}/`)).reduce((deepest, root) => (root.length > deepest.length ? root : deepest), '/');
  const groups = new Map<string, { root: string; entries: FsEntry[]; last: number }>();
  entries.forEach((entry, i) => {
    const root = rootOf(entry.path);
    const group = groups.get(root) ?? { root, entries: [], last: i };
    group.entries.push(entry);
    group.last = i;
    groups.set(root, group);
  });
  return [...groups.values()].sort((a, b) => a.last - b.last).map((group) => ({ root: group.root, entries: group.entries }));
}

/** Where a sandbox's disk is mounted: with the root filesystem read-only, the only places to write. */
const WRITABLE_ROOTS = diskFolders.map((folder) => folder.target);

/** Writes the entries into the container, one archive per folder they are in. */
export async function putEntries(container: Docker.Container, entries: FsEntry[]): Promise<void> {
  for (const group of groupByRoot(entries, WRITABLE_ROOTS)) {
    await container.putArchive(packEntries(group.entries, group.root), { path: group.root });
  }
}

/** A tar stream of the entries, named relative to `root`, for Docker's putArchive; host files are streamed, not buffered. */
export function packEntries(entries: FsEntry[], root = '/'): Readable {
  const tar = pack();
  const write = async () => {
    const mtime = new Date();
    for (const entry of entries) {
      const header = {
        name: path.posix.relative(root, entry.path),
        mode: entry.mode,
        uid: UID[entry.owner],
        gid: UID[entry.owner],
        mtime,
      };
      if (entry.kind === 'dir') {
        await new Promise<void>((resolve, reject) => tar.entry({ ...header, type: 'directory' }, (err) => (err ? reject(err) : resolve())));
      } else if (Buffer.isBuffer(entry.content)) {
        await new Promise<void>((resolve, reject) => tar.entry(header, entry.content as Buffer, (err) => (err ? reject(err) : resolve())));
      } else {
        const sink = tar.entry({ ...header, size: entry.content.size });
        await pipeline(createReadStream(entry.content.hostPath), sink);
      }
    }
    tar.finalize();
  };
  write().catch((err: Error) => tar.destroy(err));
  // tar-stream's streams are streamx ones; Docker's client wants a Node stream.
  return Readable.from(tar);
}

/** The bytes of the single file in a tar stream such as Docker's getArchive of one path. */
export async function readSingleFile(stream: NodeJS.ReadableStream, what: string): Promise<Buffer> {
  const entries = extract();
  let content: Buffer | undefined;
  let type: string | null | undefined;
  entries.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      if (type === undefined) {
        type = header.type;
        content = Buffer.concat(chunks);
      }
      next();
    });
  });
  await pipeline(stream, entries);
  if (type !== 'file' || !content) throw new NotAFileError(`${what} is not a regular file (${type ?? 'empty archive'})`);
  return content;
}

import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import type { FsEntry, Owner } from './entries';
import { NotAFileError } from './errors';

/** Numeric ids of the sandbox users (docker/task/Dockerfile creates `agent` as 1000). */
const UID: Record<Owner, number> = { agent: 1000, root: 0 };

/** A tar stream of the entries, for Docker's putArchive; host files are streamed, not buffered. */
export function packEntries(entries: FsEntry[]): Readable {
  const tar = pack();
  const write = async () => {
    const mtime = new Date();
    for (const entry of entries) {
      const header = {
        name: entry.path.replace(/^\/+/, ''),
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

import { mkdir, readFile, readdir, rename, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from './store';

/** Artifacts as plain files under one directory (the default: `.mlgym/artifacts`). */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  locate(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(path.resolve(this.root) + path.sep)) {
      throw new Error(`artifact key escapes the store: ${key}`);
    }
    return resolved;
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    const file = this.locate(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename so a reader (or a crash) never sees half a file.
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.locate(key));
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await access(this.locate(key));
      return true;
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.locate(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (!entry.name.includes('.tmp-')) out.push(path.relative(path.resolve(this.root), full).split(path.sep).join('/'));
      }
    };
    await walk(base);
    return out.sort();
  }
}

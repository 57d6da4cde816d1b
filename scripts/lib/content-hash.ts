import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A short hash of strings and of files and folders (paths relative to each root, and contents),
 * for content-addressed caches: the same inputs name the same folder or image.
 */
export function contentHash(parts: (string | { tree: string })[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    if (typeof part === 'string') hash.update(`s:${part}\0`);
    else hashTree(hash, part.tree, '');
  }
  return hash.digest('hex').slice(0, 16);
}

function hashTree(hash: Hash, root: string, rel: string): void {
  const full = path.join(root, rel);
  const stat = statSync(full);
  if (stat.isDirectory()) {
    hash.update(`d:${rel}\0`);
    for (const name of readdirSync(full).sort()) hashTree(hash, root, path.join(rel, name));
  } else if (stat.isFile()) {
    hash.update(`f:${rel}:${stat.size}\0`);
    hash.update(readFileSync(full));
  }
}

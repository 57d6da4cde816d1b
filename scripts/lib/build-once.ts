import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * Makes the folder `target` once: `build` fills a staging folder under `stagingRoot` (same
 * filesystem), which is renamed to `target` only when `build` returned. A failure or a crash
 * never leaves a half-made `target`; a concurrent build of the same target keeps the first one.
 * Targets are content-addressed by their callers, so an existing one is reused as it is.
 */
export function buildOnce(target: string, stagingRoot: string, build: (staging: string) => void): string {
  if (existsSync(target)) return target;
  const staging = path.join(stagingRoot, `${path.basename(target)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  try {
    build(staging);
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      renameSync(staging, target);
    } catch (err) {
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    return target;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** The checkout this code runs from: tools/ and .mlgym/ are found relative to it. */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Fixed paths inside a docker sandbox (they match docker/task/Dockerfile). */
export const dockerPaths = {
  home: '/home/agent',
  workspace: '/home/agent/workspace',
  tools: '/opt/mlgym/tools',
  /** Written last when a sandbox is set up: its absence means a setup was interrupted. */
  readyMarker: '/opt/mlgym/.sandbox-ready',
} as const;

/**
 * A name for files and containers derived from an episode id. Ids may hold `:` or `/` (they embed
 * model names); the hash suffix keeps two ids that sanitize alike from colliding.
 */
export function safeName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 100);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

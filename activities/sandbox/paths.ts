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

/** The agent's uid in every sandbox image (docker/task/Dockerfile creates `agent` as 1000). */
export const AGENT_UID = 1000;

/** A volume of a sandbox's disk (activities/sandbox/disk.ts): the agent's files, or the command runner's. */
export type DiskVolume = 'data' | 'state';

/**
 * Everything a docker sandbox can write, its root filesystem being read-only: folders of its disk's
 * volumes, mounted at these paths. The runner's files ($HOME/.mlgym) have a volume of their own
 * (sandboxes only, not evaluations), so a full `data` volume still lets commands start and end.
 */
export const diskFolders: readonly { volume: DiskVolume; folder: string; target: string; uid: number; mode: number }[] = [
  { volume: 'data', folder: 'home', target: dockerPaths.home, uid: AGENT_UID, mode: 0o755 },
  { volume: 'state', folder: 'mlgym', target: `${dockerPaths.home}/.mlgym`, uid: AGENT_UID, mode: 0o755 },
  { volume: 'data', folder: 'tmp', target: '/tmp', uid: 0, mode: 0o1777 },
  { volume: 'data', folder: 'var-tmp', target: '/var/tmp', uid: 0, mode: 0o1777 },
  // Root-owned: the tools and the ready marker; evaluators running as root keep their caches in /root.
  { volume: 'data', folder: 'opt', target: '/opt/mlgym', uid: 0, mode: 0o755 },
  { volume: 'data', folder: 'root', target: '/root', uid: 0, mode: 0o700 },
];

/**
 * A name for files and containers derived from an episode id. Ids may hold `:` or `/` (they embed
 * model names); the hash suffix keeps two ids that sanitize alike from colliding.
 */
export function safeName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 100);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

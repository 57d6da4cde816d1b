/**
 * GPUs of a sandbox host: the inventory, which devices the host's containers hold (read from their
 * labels, so a crashed worker leaks nothing and a restarted one sees the same tenancy), and the
 * choice of explicit device ids for a new sandbox. Pure: the Docker runtime and the tests use it.
 */

import { FailureType } from './failures';

/** Container label naming the GPU ids a container holds, comma-separated. */
export const GPU_LABEL = 'mlgym.gpus';

// nvidia-smi indexes ("0") and UUIDs ("GPU-8f1c...") alike.
const GPU_ID = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

export class GpuInventoryError extends Error {
  override name = FailureType.GpuInventory;
}

/** `MLGYM_GPUS=0,1,...`: the ids a host declares, in the order they are handed out. */
export function parseGpuList(text: string, origin: string): string[] {
  const ids = text
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !GPU_ID.test(id));
  if (bad !== undefined) throw new GpuInventoryError(`${origin}: "${bad}" is not a GPU id (use nvidia-smi indexes or UUIDs, comma-separated, e.g. 0,1)`);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new GpuInventoryError(`${origin}: GPU ${repeated} is listed twice`);
  return ids;
}

/** The output of `nvidia-smi --query-gpu=index --format=csv,noheader`: one index per line. */
export function parseNvidiaSmiIndexes(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line));
}

/** The ids held by containers, from their GPU labels. */
export function heldGpus(labels: (string | undefined)[]): Set<string> {
  return new Set(labels.flatMap((label) => (label ? label.split(',').filter(Boolean) : [])));
}

/** The first `count` free ids in inventory order, or undefined when fewer are free. */
export function pickGpus(inventory: string[], held: Set<string>, count: number): string[] | undefined {
  const free = inventory.filter((id) => !held.has(id));
  return free.length >= count ? free.slice(0, count) : undefined;
}

/** A container's claim on GPUs: its id, its creation time (RFC 3339 with nanoseconds) and its ids. */
export interface GpuClaim {
  containerId: string;
  created: string;
  gpus: string[];
}

/**
 * Two workers on one host may pick the same free ids at the same moment: each creates its
 * container, then looks at every claim. Of claims sharing an id, the earliest created keeps it
 * (ties by container id) and the others give up theirs: every worker reaches the same verdict.
 */
export function losesGpuRace(containerId: string, claims: GpuClaim[]): boolean {
  const own = claims.find((c) => c.containerId === containerId);
  if (!own) return false;
  const before = (a: GpuClaim, b: GpuClaim) => createdNs(a) < createdNs(b) || (createdNs(a) === createdNs(b) && a.containerId < b.containerId);
  return claims.some((other) => other.containerId !== containerId && other.gpus.some((id) => own.gpus.includes(id)) && before(other, own));
}

/** Docker's creation times carry nanoseconds that Date drops: compared as [seconds, nanoseconds]. */
function createdNs(claim: GpuClaim): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(claim.created);
  if (!match) return BigInt(Date.parse(claim.created)) * 1_000_000n;
  const seconds = BigInt(Date.parse(`${match[1]}${match[3]}`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

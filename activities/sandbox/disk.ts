import type { StatsFs } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { SandboxDiskError, SandboxDiskUnavailableError } from './errors';
import { runProcess } from './host-process';
import { diskFolders, type DiskVolume } from './paths';

/**
 * A disk per sandbox, so no sandbox writes more than its task's `resources.disk_mb` to its host.
 * Docker's overlay2 on ext4 cannot cap a container's writes (`--storage-opt size` needs xfs with
 * project quotas), so the container's root filesystem is read-only and every writable path is a
 * folder of an ext4 filesystem in a sparse file of the host, loop-mounted by the worker and bound
 * into the container (diskFolders in paths.ts). A write past the end fails with ENOSPC in the
 * sandbox and never touches the host's own filesystem. This needs root on the Docker host, in the
 * daemon's mount namespace: the worker of a sandbox host runs there.
 *
 * On the host, <MLGYM_SANDBOX_DISKS>/<name>/ holds disk.json (whose disk it is), and per volume an
 * image (<volume>.img) mounted on a folder of the same name. A sandbox's disk has two volumes:
 * `data` for the agent's files and `state` (a sixteenth, 16 MB to 1 GB) for the command runner's
 * (each command's output, the shell's state), so a full `data` still lets the runner record how a
 * command ended and start the next one, the agent's `rm`. An evaluation's disk has `data` only.
 */

const VARIABLE = 'MLGYM_SANDBOX_DISKS';
const DEFAULT_ROOT = '/var/lib/mlgym/disks';
/** Where mkfs.ext4, mount and umount are, whatever the worker's own PATH. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/**
 * Less free space than this counts as full: a writer stopped by ENOSPC leaves up to ~1.5 MB free
 * (ext4 reserves room for delayed allocation per write).
 */
export const FULL_BELOW_BYTES = 4 * 2 ** 20;

const Setting = z.union([z.literal('off'), z.string().refine((value) => path.isAbsolute(value))]);

export const DiskRecord = z
  .object({
    episodeId: z.string().min(1),
    role: z.enum(['sandbox', 'evaluation']),
    limitMb: z.number().int().positive(),
  })
  .strict();
export type DiskRecord = z.infer<typeof DiskRecord>;

/** A disk of this host: its folder name (also the container's `mlgym.disk` label) and folder. */
export interface SandboxDisk {
  name: string;
  dir: string;
  record: DiskRecord;
}

/**
 * The folder holding this host's sandbox disks: MLGYM_SANDBOX_DISKS (an absolute path), by default
 * /var/lib/mlgym/disks; undefined for `off`, which runs sandboxes without a disk limit (a Docker
 * engine on another machine, a worker that is not root). Disks are named like their containers:
 * two Docker engines on one machine need a folder each.
 */
export function disksRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[VARIABLE]?.trim() || DEFAULT_ROOT;
  const parsed = Setting.safeParse(value);
  if (!parsed.success) throw new SandboxDiskUnavailableError(`${VARIABLE} must be an absolute folder or "off", not ${JSON.stringify(value)}`);
  return parsed.data === 'off' ? undefined : parsed.data;
}

/** The volumes of a disk and their sizes in MB; together exactly the limit. */
export function diskVolumes(record: Pick<DiskRecord, 'role' | 'limitMb'>): { volume: DiskVolume; sizeMb: number }[] {
  if (record.role === 'evaluation') return [{ volume: 'data', sizeMb: record.limitMb }];
  const state = Math.min(1024, Math.max(16, Math.round(record.limitMb / 16)));
  return [
    { volume: 'data', sizeMb: record.limitMb - state },
    { volume: 'state', sizeMb: state },
  ];
}

/**
 * Makes the disk (or finds it: idempotent by name) with its volumes mounted and the folders the
 * container binds in place; undefined when disks are off. The caller owns the disk from here: it
 * must release it if no container ends up using it.
 */
export async function makeDisk(name: string, record: DiskRecord): Promise<SandboxDisk | undefined> {
  const setting = disksRoot();
  if (!setting) return undefined;
  if (process.getuid?.() !== 0) throw new SandboxDiskUnavailableError('making a disk (mkfs.ext4, a loop mount) needs root');
  await fs.mkdir(setting, { recursive: true, mode: 0o700 });
  const disk: SandboxDisk = { name, dir: path.join(await fs.realpath(setting), name), record };
  await fs.mkdir(disk.dir, { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(disk.dir, 'disk.json'), JSON.stringify(record));
  for (const { volume, sizeMb } of diskVolumes(record)) {
    await makeImage(path.join(disk.dir, `${volume}.img`), sizeMb, volume);
    await mountVolume(disk, volume);
    for (const folder of diskFolders.filter((f) => f.volume === volume)) {
      const at = path.join(disk.dir, volume, folder.folder);
      await fs.mkdir(at, { recursive: true });
      await fs.chown(at, folder.uid, folder.uid);
      await fs.chmod(at, folder.mode);
    }
  }
  return disk;
}

/**
 * Mounts the volumes of an existing disk again (after a host reboot), before its container starts
 * or its files are read: a stopped container's bind sources exist only on the mounted volumes.
 * False when the disk is gone, and the sandbox's files with it.
 */
export async function attachDisk(name: string): Promise<boolean> {
  const disk = await findDisk(name);
  if (!disk) return false;
  const volumes = diskVolumes(disk.record).map((v) => v.volume);
  const images = await Promise.all(volumes.map((volume) => exists(path.join(disk.dir, `${volume}.img`))));
  if (images.includes(false)) return false;
  for (const volume of volumes) await mountVolume(disk, volume);
  return true;
}

/** Unmounts the disk's volumes and deletes it; nothing to do when it does not exist. */
export async function releaseDisk(name: string): Promise<void> {
  const root = await existingRoot();
  if (!root) return;
  const dir = path.join(root, name);
  const mounted = await mountPoints();
  for (const volume of ['data', 'state'] satisfies DiskVolume[]) {
    const at = path.join(dir, volume);
    if (mounted.has(at)) await unmount(at);
  }
  // Deleting through a mount would delete a live sandbox's files: only an unmounted disk goes.
  const still = [...(await mountPoints())].find((p) => p.startsWith(`${dir}/`));
  if (still) throw new SandboxDiskError(`${still} is still mounted after umount`);
  await fs.rm(dir, { recursive: true, force: true });
}

/** The disks of this host with their creation times, for the reaper. */
export async function listDisks(): Promise<(SandboxDisk & { createdMs: number })[]> {
  const root = await existingRoot();
  if (!root) return [];
  // Unreadable: this is not a sandbox host's worker (a CLI on another machine, not root).
  const names = await fs.readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EACCES') return [];
    throw err;
  });
  const found = await Promise.all(
    names.map(async (name) => {
      const disk = await findDisk(name);
      const stat = await fs.stat(path.join(root, name)).catch(() => undefined);
      return disk && stat ? { ...disk, createdMs: stat.mtimeMs } : undefined;
    }),
  );
  return found.filter((disk) => disk !== undefined);
}

/**
 * What to tell the agent when its files have filled the sandbox's disk (a write failed with ENOSPC,
 * or the next one will); undefined while there is room, and for a sandbox without a disk. Only the
 * `data` volume counts: when output fills the runner's, the runner makes room itself and says so
 * in the output (tools/runner/mlgym-exec).
 */
export async function diskLimitNote(name: string): Promise<string | undefined> {
  const disk = await findDisk(name);
  if (!disk) return undefined;
  const data = path.join(disk.dir, 'data');
  // Unmounted, statfs would read the host's filesystem: not this disk.
  if (!(await mountPoints()).has(data) || !isFull(await fs.statfs(data))) return undefined;
  return `The sandbox's disk limit of ${disk.record.limitMb} MB is reached: free space by deleting files before writing more.`;
}

/** Full: less than FULL_BELOW_BYTES left for an unprivileged writer. */
export function isFull(stats: Pick<StatsFs, 'bavail' | 'bsize'>): boolean {
  return stats.bavail * stats.bsize < FULL_BELOW_BYTES;
}

/**
 * The disks folder as the kernel names it (mount points are looked up in its mount table), when
 * there is one.
 */
async function existingRoot(): Promise<string | undefined> {
  const setting = disksRoot();
  return setting && fs.realpath(setting).catch(() => undefined);
}

async function findDisk(name: string): Promise<SandboxDisk | undefined> {
  const root = await existingRoot();
  if (!root) return undefined;
  const dir = path.join(root, name);
  const text = await fs.readFile(path.join(dir, 'disk.json'), 'utf8').catch(() => undefined);
  const record = text === undefined ? undefined : DiskRecord.safeParse(safeJson(text));
  return record?.success ? { name, dir, record: record.data } : undefined;
}

/**
 * A sparse image holding an empty ext4 filesystem, made under a temporary name and renamed, so an
 * image that exists is whole. No space is reserved for root (-m 0): the agent may use all of it;
 * the lazy options leave the inode tables and journal unwritten (a new sparse file reads as zeros),
 * so an unused disk takes almost nothing of the host. The runner's volume holds many small files:
 * 1 KB blocks and an inode per 4 KB.
 */
async function makeImage(image: string, sizeMb: number, volume: DiskVolume): Promise<void> {
  if (await exists(image)) return;
  const partial = `${image}.partial`;
  await fs.rm(partial, { force: true });
  const file = await fs.open(partial, 'w', 0o600);
  try {
    await file.truncate(sizeMb * 2 ** 20);
  } finally {
    await file.close();
  }
  const small = volume === 'state' ? ['-T', 'small'] : [];
  await system(['mkfs.ext4', '-q', '-F', '-m', '0', ...small, '-E', 'lazy_itable_init=1,lazy_journal_init=1', partial], `making ${image}`);
  await fs.rename(partial, image);
}

/**
 * Loop-mounts a volume on its folder unless it is mounted already. Nothing in it may be setuid or a
 * device; deleted files give their space back to the host (discard punches holes in the image).
 */
async function mountVolume(disk: SandboxDisk, volume: DiskVolume): Promise<void> {
  const at = path.join(disk.dir, volume);
  if ((await mountPoints()).has(at)) return;
  await fs.mkdir(at, { recursive: true });
  await system(['mount', '-o', 'loop,nosuid,nodev,noatime,discard', path.join(disk.dir, `${volume}.img`), at], `mounting ${at}`);
}

/**
 * Unmounts a volume. Two releases of one disk may run at once (an evaluation's own cleanup and the
 * reaper's): the one that finds it already unmounted is done too.
 */
async function unmount(at: string): Promise<void> {
  try {
    await system(['umount', at], `unmounting ${at}`);
  } catch (err) {
    if (!(err instanceof SandboxDiskError) || (await mountPoints()).has(at)) throw err;
  }
}

/** This process's mount points (as the kernel lists them, octal escapes undone). */
async function mountPoints(): Promise<Set<string>> {
  const table = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return new Set(
    table
      .split('\n')
      .filter(Boolean)
      .map((line) => unescape(line.split(' ')[4])),
  );
}

async function system(argv: string[], what: string): Promise<void> {
  const result = await runProcess(argv, { cwd: '/', env: { PATH: SYSTEM_PATH, LANG: 'C' }, timeoutSec: 120 });
  if (result.exitCode === 127) throw new SandboxDiskUnavailableError(`${argv[0]} is not installed (${what})`);
  if (result.exitCode !== 0) throw new SandboxDiskError(`${what} failed (${argv[0]} exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`);
}

async function exists(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined)) !== undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

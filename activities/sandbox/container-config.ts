import * as path from 'node:path';
import type Docker from 'dockerode';
import type { TaskConfig } from '../../lib/task-config';
import { diskVolumes, type SandboxDisk } from './disk';
import { diskFolders, dockerPaths } from './paths';

/** Labels that mark ownership, so a reaper can find and remove orphaned containers. */
export const LABELS = {
  episode: 'mlgym.episode',
  task: 'mlgym.task',
  managed: 'mlgym.managed',
  role: 'mlgym.role',
  /** On evaluation containers: the episode whose submission they score (not `episode`, which finds sandboxes). */
  evaluates: 'mlgym.evaluates',
  /** The container's disk (activities/sandbox/disk.ts), mounted before it starts and released with it. */
  disk: 'mlgym.disk',
} as const;

/** Host folders mounted read-only into the workspace: prepared data and (evaluation only) answers. */
export interface DataMounts {
  data?: string;
  hidden?: string;
}

/** MLGYM_SCALE, from which starters and evaluators take their sizes (tasks/README.md); absent: small. */
export const scaleEnv = (task: Pick<TaskConfig, 'scale'>): string[] => (task.scale ? [`MLGYM_SCALE=${task.scale}`] : []);

/**
 * The container settings shared by episode sandboxes and evaluation contexts: the task's image,
 * the unprivileged user, its limits (no swap beyond the memory limit), no network unless asked.
 * GPUs are given by id, never by count: see withGpus (activities/sandbox/gpus.ts).
 */
export function containerOptions(task: TaskConfig, network: boolean, mounts: DataMounts = {}): Docker.ContainerCreateOptions {
  const { cpus, memory_mb, pids } = task.resources;
  const memory = memory_mb * 1024 * 1024;
  return {
    Image: task.image,
    User: 'agent',
    WorkingDir: dockerPaths.workspace,
    Env: [`MLGYM_WORKSPACE=${dockerPaths.workspace}`, ...scaleEnv(task)],
    HostConfig: {
      NetworkMode: network ? 'bridge' : 'none',
      NanoCpus: Math.round(cpus * 1e9),
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: pids,
      // An init as PID 1 reaps the orphans that detached commands leave behind.
      Init: true,
      // The engine stores what PID 1 prints on the host's disk, and any process in the container
      // may print there (/proc/1/fd/1): at most two files of 10 MB, the last output kept.
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      SecurityOpt: ['no-new-privileges'],
      // Read-only even for root: neither the agent nor the code an evaluator runs can alter them.
      Binds: Object.entries(mounts)
        .filter(([, host]) => host)
        .map(([name, host]) => `${host}:${dockerPaths.workspace}/${name}:ro`),
    },
  };
}

/**
 * The container writing only to its disk (none when disks are off): the root filesystem read-only,
 * the disk's folders bound at the paths that must be writable. A missing bind source fails the
 * container's creation and start (`Binds` would make an empty folder on the host's own disk), so a
 * container never runs with its disk unmounted.
 */
export function withDisk(options: Docker.ContainerCreateOptions, disk: SandboxDisk | undefined): Docker.ContainerCreateOptions {
  if (!disk) return options;
  const volumes = diskVolumes(disk.record).map((v) => v.volume);
  const mounts = diskFolders
    .filter((folder) => volumes.includes(folder.volume))
    .map((folder): Docker.MountSettings => ({ Type: 'bind', Source: path.join(disk.dir, folder.volume, folder.folder), Target: folder.target }));
  return {
    ...options,
    Labels: { ...options.Labels, [LABELS.disk]: disk.name },
    HostConfig: { ...options.HostConfig, ReadonlyRootfs: true, Mounts: [...(options.HostConfig?.Mounts ?? []), ...mounts] },
  };
}

import type Docker from 'dockerode';
import type { TaskConfig } from '../../lib/task-config';
import { dockerPaths } from './paths';

/** Labels that mark ownership, so a reaper can find and remove orphaned containers. */
export const LABELS = {
  episode: 'mlgym.episode',
  task: 'mlgym.task',
  managed: 'mlgym.managed',
  role: 'mlgym.role',
  /** On evaluation containers: the episode whose submission they score (not `episode`, which finds sandboxes). */
  evaluates: 'mlgym.evaluates',
} as const;

/** Host folders mounted read-only into the workspace: prepared data and (evaluation only) answers. */
export interface DataMounts {
  data?: string;
  hidden?: string;
}

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
    Env: [`MLGYM_WORKSPACE=${dockerPaths.workspace}`],
    HostConfig: {
      NetworkMode: network ? 'bridge' : 'none',
      NanoCpus: Math.round(cpus * 1e9),
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: pids,
      // An init as PID 1 reaps the orphans that detached commands leave behind.
      Init: true,
      SecurityOpt: ['no-new-privileges'],
      // Read-only even for root: neither the agent nor the code an evaluator runs can alter them.
      Binds: Object.entries(mounts)
        .filter(([, host]) => host)
        .map(([name, host]) => `${host}:${dockerPaths.workspace}/${name}:ro`),
    },
  };
}

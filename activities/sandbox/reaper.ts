import { stat } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { LABELS } from './container-config';
import { listDisks, releaseDisk } from './disk';
import { dockerClient } from './docker-client';
import { LocalRuntime, listLocalSandboxes } from './local';

/** Evaluation containers live for one evaluation; one this old was left by a crashed worker. */
const EVALUATION_MAX_AGE_SEC = 4 * 3600;

export interface ReapReport {
  removedContainers: string[];
  /** Disks (activities/sandbox/disk.ts) no container uses any more, by folder name. */
  removedDisks: string[];
  removedLocalSandboxes: string[];
  kept: number;
}

export interface ReapOptions {
  docker?: boolean;
  /**
   * Only reap episodes closed at least this long ago. The worker's periodic reaper waits a day so
   * a sandbox kept with --keep-sandbox can still be inspected; `mlgym sandbox reap` uses 0.
   */
  graceSec?: number;
}

/**
 * Removes sandboxes whose episode is closed (or unknown to the server): containers found by their
 * ownership labels, then the disks no container uses any more (left by a worker that crashed while
 * making or removing a sandbox or an evaluation), local sandboxes by the episode id they record.
 */
export async function reapSandboxes(client: Client, options: ReapOptions = {}): Promise<ReapReport> {
  const report: ReapReport = { removedContainers: [], removedDisks: [], removedLocalSandboxes: [], kept: 0 };
  const graceMs = (options.graceSec ?? 0) * 1000;
  /** Closed for longer than the grace period; an episode this server does not know counts from the sandbox's creation. */
  const closed = async (episodeId: string, createdMs: number) => {
    try {
      const description = await client.workflow.getHandle(episodeId).describe();
      if (description.status.name === 'RUNNING') return false;
      return !description.closeTime || Date.now() - description.closeTime.getTime() >= graceMs;
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return Date.now() - createdMs >= graceMs;
      throw err;
    }
  };

  if (options.docker !== false) {
    const docker = dockerClient();
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
    const now = Date.now() / 1000;
    for (const container of containers) {
      const episodeId = container.Labels[LABELS.episode] ?? container.Labels[LABELS.evaluates];
      const tooOld = container.Labels[LABELS.role] === 'evaluation' && now - container.Created > EVALUATION_MAX_AGE_SEC;
      const orphan = tooOld || (episodeId !== undefined && (await closed(episodeId, container.Created * 1000)));
      if (!orphan) {
        report.kept += 1;
        continue;
      }
      await docker
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
      report.removedContainers.push(episodeId ?? container.Id.slice(0, 12));
    }
    report.removedDisks = await reapDisks(docker, closed);
  }

  const local = new LocalRuntime();
  for (const handle of await listLocalSandboxes()) {
    const createdMs = (await stat(handle.home).catch(() => undefined))?.mtimeMs ?? 0;
    if (!(await closed(handle.episodeId, createdMs))) {
      report.kept += 1;
      continue;
    }
    await local.destroy(handle);
    report.removedLocalSandboxes.push(handle.episodeId);
  }
  return report;
}

/**
 * Releases the disks no container uses: a sandbox's once its episode is closed (until then a retried
 * setup makes it again), an evaluation's once older than any evaluation lasts.
 */
async function reapDisks(docker: Docker, closed: (episodeId: string, createdMs: number) => Promise<boolean>): Promise<string[]> {
  const users = await docker.listContainers({ all: true, filters: { label: [LABELS.disk] } });
  const used = new Set(users.map((container) => container.Labels[LABELS.disk]));
  const removed: string[] = [];
  for (const disk of await listDisks()) {
    if (used.has(disk.name)) continue;
    const { role, episodeId } = disk.record;
    const orphan = role === 'evaluation' ? Date.now() - disk.createdMs > EVALUATION_MAX_AGE_SEC * 1000 : await closed(episodeId, disk.createdMs);
    if (!orphan) continue;
    try {
      await releaseDisk(disk.name);
      removed.push(disk.name);
    } catch {
      // Still busy: the next pass tries again.
    }
  }
  return removed;
}

import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { artifactStoreFromEnv, artifactStoreIsShared } from '../../activities/artifacts';
import { LocalArtifactStore } from '../../activities/artifacts/local';
import { hostQueue, provisioningQueue } from '../../lib/task-queues';
import { machineOf, type Roles } from '../../workers/main';
import { UsageError } from './output';

/** A poller Temporal saw within this long is a live worker (a long poll lasts about a minute). */
const LIVE_WITHIN_MS = 2 * 60_000;

/** The identities of the workers polling a queue for activities lately. */
export async function recentPollers(client: Client, taskQueue: string): Promise<string[]> {
  const described = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const now = Date.now();
  return (described.pollers ?? [])
    .filter((p) => p.lastAccessTime?.seconds != null && now - Number(p.lastAccessTime.seconds) * 1000 < LIVE_WITHIN_MS)
    .map((p) => p.identity ?? '');
}

/**
 * Before a worker starts polling: a fleet (a control-only worker, a `--host` agent, or a second
 * machine on the queues) needs an artifact store every machine reaches, and a host id names one
 * machine and Docker engine only. Refuses with one line; nothing has started.
 */
export async function checkJoin(client: Client, base: string, roles: Roles, explicitFleet: boolean, machine: string): Promise<void> {
  const host = roles.host;
  if (host) {
    const others = (await recentPollers(client, hostQueue(base, host.id))).filter((identity) => machineOf(identity) !== machine);
    if (others.length) {
      throw new UsageError(`host id "${host.id}" is in use by worker ${others[0]} (another machine or Docker engine): give this host its own --host id`);
    }
  }
  if (artifactStoreIsShared()) return;
  // Only a path is not shared (S3 is): name the folder.
  const local = artifactStoreFromEnv();
  const store = local instanceof LocalArtifactStore ? local.root : process.env.MLGYM_ARTIFACTS;
  if (explicitFleet) {
    throw new UsageError(
      `this worker joins a fleet, but its artifact store ${store} is local to this machine: set MLGYM_ARTIFACTS to s3://bucket/prefix, or to shared storage with MLGYM_ARTIFACTS_SHARED=1`,
    );
  }
  const elsewhere = (await recentPollers(client, provisioningQueue(base, 0))).filter((identity) => machineOf(identity) !== machine);
  if (elsewhere.length) {
    throw new UsageError(
      `worker ${elsewhere[0]} on another machine serves the same task queues, and this worker's artifact store ${store} is local: set MLGYM_ARTIFACTS to s3://bucket/prefix, or to shared storage with MLGYM_ARTIFACTS_SHARED=1`,
    );
  }
}

/** A task needing GPUs is refused before anything starts when no worker takes GPU tasks. */
export async function checkGpuHosts(client: Client, base: string, tasks: { id: string; gpus: number }[]): Promise<void> {
  const needing = tasks.find((t) => t.gpus > 0);
  if (!needing) return;
  if ((await recentPollers(client, provisioningQueue(base, 1))).length) return;
  throw new UsageError(
    `task ${needing.id} needs ${needing.gpus} GPU(s) and no worker takes GPU tasks: start \`mlgym worker\` on a machine with GPUs (listed by nvidia-smi, or declared with MLGYM_GPUS=0,1,...)`,
  );
}

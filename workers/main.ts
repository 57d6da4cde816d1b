import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { createSweepActivities } from '../activities/sweep';
import { reapSandboxes } from '../activities/sandbox/reaper';
import { ensureSearchAttributes } from './search-attributes';
import { TASK_QUEUE, type TemporalConnectionOptions, temporalTarget } from '../config/temporal';

/**
 * Heartbeats carry cancellation: the worker sends them often so a cancel reaches a running command
 * or model call in seconds (by default it would wait 80% of the heartbeat timeout). Tests' workers
 * use the same.
 */
export const HEARTBEAT_THROTTLE = { maxHeartbeatThrottleInterval: '3s', defaultHeartbeatThrottleInterval: '3s' } as const;

export interface WorkerOptions {
  /** A plain address (tests); by default Temporal's environment configuration (config/temporal.ts). */
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

/**
 * Builds a worker that runs episode and sweep workflows and every activity on one task queue. The
 * sweep's activities look at episodes through a client connection of their own.
 */
export async function createWorker(
  options: WorkerOptions = {},
): Promise<{ worker: Worker; connection: NativeConnection; clientConnection: Connection; namespace: string }> {
  const target = options.address ? undefined : temporalTarget();
  const connectionOptions: TemporalConnectionOptions = options.address ? { address: options.address } : target!.connection;
  const namespace = options.namespace ?? target?.namespace ?? 'default';
  const added = await ensureSearchAttributes(connectionOptions, namespace);
  if (added.length) process.stderr.write(`registered search attributes: ${added.join(', ')}\n`);
  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  const client = new Client({ connection: clientConnection, namespace });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: { ...activities, ...createSweepActivities(client) },
    // Two cores: a few concurrent commands, model calls are I/O bound.
    maxConcurrentActivityTaskExecutions: Number(process.env.MLGYM_MAX_ACTIVITIES ?? 20),
    // Running commands live in their sandboxes; on SIGTERM give in-flight activities time to report.
    shutdownGraceTime: '10s',
    ...HEARTBEAT_THROTTLE,
  });
  return { worker, connection, clientConnection, namespace };
}

/** `mlgym worker`: runs until SIGINT/SIGTERM (the SDK shuts down gracefully on both). */
export async function runWorker(): Promise<void> {
  const { worker, connection, clientConnection, namespace } = await createWorker();
  process.stderr.write(`worker polling task queue "${worker.options.taskQueue}" on ${temporalTarget().description}, namespace ${namespace}\n`);
  const reaper = setInterval(() => void reapOrphans(new Client({ connection: clientConnection, namespace })), REAP_EVERY_MS);
  try {
    await worker.run();
  } finally {
    clearInterval(reaper);
    await clientConnection.close();
    await connection.close();
  }
}

const REAP_EVERY_MS = 10 * 60_000;
/** Sandboxes of episodes closed for a day are orphans (a day leaves --keep-sandbox ones to inspect). */
const REAP_GRACE_SEC = 24 * 3600;

async function reapOrphans(client: Client): Promise<void> {
  try {
    const report = await reapSandboxes(client, { graceSec: REAP_GRACE_SEC, docker: process.env.MLGYM_REAP_DOCKER !== '0' });
    const removed = report.removedContainers.length + report.removedLocalSandboxes.length;
    if (removed) process.stderr.write(`reaper: removed ${removed} sandbox(es) of closed episodes\n`);
  } catch (err) {
    process.stderr.write(`reaper: ${(err as Error).message}\n`);
  }
}

import * as os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions as SdkWorkerOptions } from '@temporalio/worker';
import * as activities from '../activities';
import { createSweepActivities } from '../activities/sweep';
import { reapSandboxes } from '../activities/sandbox/reaper';
import { hostId, hostLedger } from '../activities/sandbox/host-ledger';
import { dockerEndpoint } from '../activities/sandbox/docker-client';
import { hostQueue, provisioningQueue } from '../lib/task-queues';
import { ensureSearchAttributes } from './search-attributes';
import { type HostCapacity, ProvisioningGate } from './provisioning-gate';
import { TASK_QUEUE, type TemporalConnectionOptions, temporalTarget } from '../config/temporal';

/**
 * Heartbeats carry cancellation: the worker sends them often so a cancel reaches a running command
 * or model call in seconds (by default it would wait 80% of the heartbeat timeout). Tests' workers
 * use the same.
 */
export const HEARTBEAT_THROTTLE = { maxHeartbeatThrottleInterval: '3s', defaultHeartbeatThrottleInterval: '3s' } as const;

/** The sandbox-host role: this host's id, and its capacity (absent: as much as is asked, one machine's way). */
export interface HostRole {
  id: string;
  capacity?: HostCapacity;
  /** Whether it takes GPU tasks (it has GPUs to give). */
  gpus: boolean;
}

export interface Roles {
  /** Episode and sweep workflows, model calls, the artifact-store activities. */
  control: boolean;
  host?: HostRole;
}

export interface WorkerOptions {
  /** A plain address (tests); by default Temporal's environment configuration (config/temporal.ts). */
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** By default both roles, this machine one host with no capacity limit: one `mlgym worker` runs everything. */
  roles?: Roles;
}

/** The workers of one process, one per task queue, run and stopped together. */
export interface WorkerSet {
  workers: Worker[];
  /** The task queues polled, for messages. */
  queues: string[];
  identity: string;
  run(): Promise<void>;
  shutdown(): void;
}

/** What touches a sandbox: run by the host that holds it (provisioning: the host that will). */
const SANDBOX_ACTIVITIES = {
  prepareSandbox: activities.prepareSandbox,
  restoreSandbox: activities.restoreSandbox,
  relocateSandbox: activities.relocateSandbox,
  execCommand: activities.execCommand,
  evaluateSubmission: activities.evaluateSubmission,
  recordObservation: activities.recordObservation,
  teardownSandbox: activities.teardownSandbox,
};

/** This machine and the Docker engine its sandboxes run on: one host id belongs to one of these. */
export const thisMachine = (): string => `${os.hostname()} docker=${dockerEndpoint()}`;

/** The machine part of a worker identity (`<pid>@<machine>`). */
export const machineOf = (identity: string): string => identity.slice(identity.indexOf('@') + 1);

const UNBOUNDED_HOST_ACTIVITIES = 1000;

/** One machine, one worker: both roles, this machine's GPUs (if any) offered, no capacity limit. */
export const singleMachineRoles = (gpus: boolean): Roles => ({ control: true, host: { id: hostId(), gpus } });

/**
 * The workers for these roles on one connection. Control: the base task queue, with every activity
 * (episodes started before host routing run all of theirs there). Host: the shared provisioning
 * queues (the GPU one only with GPUs), gated by the host's capacity, and the host's own queue.
 */
export async function buildWorkers(
  connection: NativeConnection,
  namespace: string,
  client: Client,
  taskQueue: string,
  roles: Roles,
  extra: Partial<SdkWorkerOptions> = {},
): Promise<WorkerSet> {
  // Each queue's worker gets its own count of concurrent activities (the provisioning gate, or none).
  const { maxConcurrentActivityTaskExecutions: activitySlots, ...rest } = extra;
  const common = { connection, namespace, identity: `${process.pid}@${thisMachine()}`, ...HEARTBEAT_THROTTLE, ...rest };
  const fixedSlots = activitySlots === undefined ? {} : { maxConcurrentActivityTaskExecutions: activitySlots };
  const workers: Worker[] = [];
  if (roles.control) {
    workers.push(
      await Worker.create({
        ...common,
        ...fixedSlots,
        taskQueue,
        workflowsPath: require.resolve('../workflows'),
        activities: { ...activities, ...createSweepActivities(client) },
      }),
    );
  }
  const host = roles.host;
  if (host) {
    const gate =
      host.capacity &&
      new ProvisioningGate(
        host.capacity,
        () => hostLedger.usage(),
        (l) => hostLedger.onRelease(l),
      );
    const provisioning = (gpu: boolean): SdkWorkerOptions => ({
      ...common,
      // The gate decides how many provisioning tasks run: no fixed activity count beside it.
      ...(!gate && fixedSlots),
      taskQueue: provisioningQueue(taskQueue, gpu ? 1 : 0),
      activities: SANDBOX_ACTIVITIES,
      ...(gate && {
        tuner: {
          activityTaskSlotSupplier: gate.supplier(gpu),
          workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
          localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
          nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
        },
      }),
    });
    workers.push(await Worker.create(provisioning(false)));
    if (host.gpus) workers.push(await Worker.create(provisioning(true)));
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: hostQueue(taskQueue, host.id),
        activities: SANDBOX_ACTIVITIES,
        // Each sandbox runs one activity at a time, mostly waiting on its command: never let one
        // queue behind others' long commands, where it would look like a silent host.
        maxConcurrentActivityTaskExecutions: host.capacity ? 2 * host.capacity.slots + 10 : UNBOUNDED_HOST_ACTIVITIES,
      }),
    );
  }
  if (workers.length === 0) throw new TypeError('a worker needs a role: control, host or both');
  return {
    workers,
    queues: workers.map((w) => w.options.taskQueue),
    identity: workers[0]!.options.identity,
    run: async () => void (await Promise.all(workers.map((w) => w.run()))),
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
  };
}

/**
 * Connects and builds the workers of this process. The sweep's activities look at episodes through
 * a client connection of their own.
 */
export async function createWorker(
  options: WorkerOptions = {},
): Promise<{ worker: WorkerSet; connection: NativeConnection; clientConnection: Connection; namespace: string }> {
  const target = options.address ? undefined : temporalTarget();
  const connectionOptions: TemporalConnectionOptions = options.address ? { address: options.address } : target!.connection;
  const namespace = options.namespace ?? target?.namespace ?? 'default';
  const added = await ensureSearchAttributes(connectionOptions, namespace);
  if (added.length) process.stderr.write(`registered search attributes: ${added.join(', ')}\n`);
  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  const client = new Client({ connection: clientConnection, namespace });
  const roles = options.roles ?? singleMachineRoles(true);
  const worker = await buildWorkers(connection, namespace, client, options.taskQueue ?? TASK_QUEUE, roles, {
    // Two cores: a few concurrent commands, model calls are I/O bound.
    maxConcurrentActivityTaskExecutions: Number(process.env.MLGYM_MAX_ACTIVITIES ?? 20),
    // Running commands live in their sandboxes; on SIGTERM give in-flight activities time to report.
    shutdownGraceTime: '10s',
  });
  return { worker, connection, clientConnection, namespace };
}

/** `mlgym worker`: runs until SIGINT/SIGTERM (the SDK shuts down gracefully on both). */
export async function runWorker(options: WorkerOptions = {}): Promise<void> {
  const { worker, connection, clientConnection, namespace } = await createWorker(options);
  process.stderr.write(
    `worker polling task queues ${worker.queues.map((q) => `"${q}"`).join(', ')} on ${temporalTarget().description}, namespace ${namespace}\n`,
  );
  const reaper = setInterval(() => void reapOrphans(new Client({ connection: clientConnection, namespace })), REAP_EVERY_MS);
  try {
    await worker.run();
  } finally {
    clearInterval(reaper);
    await clientConnection.close();
    await connection.close();
  }
}

/** A host agent's capacity where flags do not say: this machine's CPUs, memory and GPUs. */
export function machineCapacity(gpus: number): HostCapacity {
  const cpus = os.availableParallelism();
  return { slots: cpus, cpus, memoryMb: Math.floor(os.totalmem() / 2 ** 20), gpus };
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

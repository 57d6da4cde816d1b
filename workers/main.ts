import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { TASK_QUEUE, temporalAddress, temporalNamespace } from '../scripts/lib/settings';

export interface WorkerOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

/** Builds a worker that runs episode workflows and every activity on one task queue. */
export async function createWorker(options: WorkerOptions = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.address ?? temporalAddress() });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? temporalNamespace(),
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities,
    // Two cores: a few concurrent commands, model calls are I/O bound.
    maxConcurrentActivityTaskExecutions: Number(process.env.MLGYM_MAX_ACTIVITIES ?? 20),
    // Running commands live in their sandboxes; on SIGTERM give in-flight activities time to report.
    shutdownGraceTime: '10s',
  });
  return { worker, connection };
}

/** `mlgym worker`: runs until SIGINT/SIGTERM (the SDK shuts down gracefully on both). */
export async function runWorker(): Promise<void> {
  const { worker, connection } = await createWorker();
  process.stderr.write(`worker polling task queue "${worker.options.taskQueue}" on ${temporalAddress()}\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

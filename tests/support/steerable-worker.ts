import { createWorker } from '../../workers/main';

/**
 * A worker process a test steers over IPC, built by the production `createWorker` (task queue and
 * server from MLGYM_TASK_QUEUE and TEMPORAL_ADDRESS): 'start' polls, 'stop' shuts the worker down
 * gracefully but keeps the process, and whatever it holds in memory (the transcript cache), alive
 * for the next 'start'; 'exit' ends it. Each command is answered with `{ state, identity }` or
 * `{ error }`. Started by startSteerableWorker (tests/support/processes.ts).
 */
type Running = Awaited<ReturnType<typeof createWorker>> & { running: Promise<void> };
let current: Running | undefined;

async function stop(): Promise<void> {
  if (!current) return;
  const { worker, running, connection, clientConnection } = current;
  current = undefined;
  worker.shutdown();
  await running;
  await clientConnection.close();
  await connection.close();
}

async function command(message: unknown): Promise<void> {
  if (message === 'start') {
    if (!current) {
      const built = await createWorker();
      current = { ...built, running: built.worker.run() };
    }
    process.send?.({ state: 'polling', identity: current.worker.identity });
  } else if (message === 'stop') {
    await stop();
    process.send?.({ state: 'stopped' });
  } else if (message === 'exit') {
    await stop();
    process.exit(0);
  } else {
    process.send?.({ error: `unknown command ${JSON.stringify(message)}` });
  }
}

// One command at a time, in order.
let queue = Promise.resolve();
process.on('message', (message) => {
  queue = queue.then(() => command(message)).catch((err: unknown) => void process.send?.({ error: String(err) }));
});
process.send?.({ state: 'ready' });

import { Context } from '@temporalio/activity';
import type { RuntimeKind, SandboxHandle } from '../lib/episode';
import type { TaskConfig } from '../lib/task-config';
import { hostId, hostLedger, tenancyOf } from './sandbox/host-ledger';
import { runtimeFor, sandboxRuntime } from './sandbox/runtimes';
import { ensureTaskData } from './sandbox/task-data';

export interface PrepareSandboxInput {
  episodeId: string;
  taskDir: string;
  task: TaskConfig;
  runtime: RuntimeKind;
}

/**
 * Creates the episode's sandbox, or re-finds it: idempotent by episode id. The handle names this
 * host (`mlgym worker --host`), whose own task queue then runs everything done to the sandbox.
 */
export async function prepareSandbox(input: PrepareSandboxInput): Promise<SandboxHandle> {
  // The activity may wait long for GPUs (see its options in the workflow): beats keep it alive, and
  // stop with the worker, so a dead worker is noticed within the heartbeat timeout.
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 20_000);
  try {
    // Missing or unpreparable data throws TaskDataError, which no retry repeats.
    const data = await ensureTaskData(input.task, input.taskDir, input.runtime);
    // Waiting for GPUs shows in the pending activity's heartbeat.
    const onWait = (note: string) => ctx.heartbeat({ waitingFor: note });
    const handle = await sandboxRuntime(input.runtime).create({ episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, data, onWait });
    hostLedger.hold(input.episodeId, tenancyOf(input.task.resources, handle.gpus?.length ?? 0));
    return { ...handle, host: hostId() };
  } finally {
    clearInterval(beat);
  }
}

export async function teardownSandbox(handle: SandboxHandle): Promise<void> {
  await runtimeFor(handle).destroy(handle);
  hostLedger.release(handle.episodeId);
}

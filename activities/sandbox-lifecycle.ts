import type { RuntimeKind, SandboxHandle } from '../lib/episode';
import type { TaskConfig } from '../lib/task-config';
import { runtimeFor, sandboxRuntime } from './sandbox/runtimes';
import { ensureTaskData } from './sandbox/task-data';

export interface PrepareSandboxInput {
  episodeId: string;
  taskDir: string;
  task: TaskConfig;
  runtime: RuntimeKind;
}

/** Creates the episode's sandbox, or re-finds it: idempotent by episode id. */
export async function prepareSandbox(input: PrepareSandboxInput): Promise<SandboxHandle> {
  // Missing or unpreparable data throws TaskDataError, which no retry repeats.
  const data = await ensureTaskData(input.task, input.taskDir, input.runtime);
  return sandboxRuntime(input.runtime).create({ episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, data });
}

export async function teardownSandbox(handle: SandboxHandle): Promise<void> {
  await runtimeFor(handle).destroy(handle);
}

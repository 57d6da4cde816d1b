import { ApplicationFailure } from '@temporalio/common';
import type { RuntimeKind, SandboxHandle } from '../lib/episode';
import type { TaskConfig } from '../lib/task-config';
import { createDockerSandbox, DockerRuntime } from './sandbox/docker';
import { createLocalSandbox, LocalRuntime } from './sandbox/local';
import type { SandboxRuntime } from './sandbox/runtime';
import { TaskDataError } from './sandbox/errors';
import { ensureTaskData, type PreparedData } from './sandbox/task-data';

export interface PrepareSandboxInput {
  episodeId: string;
  taskDir: string;
  task: TaskConfig;
  runtime: RuntimeKind;
}

const runtimes: Record<RuntimeKind, () => SandboxRuntime> = {
  docker: () => new DockerRuntime(),
  local: () => new LocalRuntime(),
};

export function runtimeFor(handle: Pick<SandboxHandle, 'runtime'>): SandboxRuntime {
  return runtimes[handle.runtime]();
}

/** Creates the episode's sandbox, or re-finds it: idempotent by episode id. */
export async function prepareSandbox(input: PrepareSandboxInput): Promise<SandboxHandle> {
  const data = await taskData(input.task, input.taskDir, input.runtime);
  const spec = { episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, data };
  return input.runtime === 'docker' ? createDockerSandbox(spec) : createLocalSandbox(spec);
}

/** The task's prepared data on this worker; missing or unpreparable data fails without retries. */
export async function taskData(task: TaskConfig, taskDir: string, runtime: RuntimeKind): Promise<PreparedData | undefined> {
  try {
    return await ensureTaskData(task, taskDir, runtime);
  } catch (err) {
    if (err instanceof TaskDataError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

export async function teardownSandbox(handle: SandboxHandle): Promise<void> {
  await runtimeFor(handle).destroy(handle);
}

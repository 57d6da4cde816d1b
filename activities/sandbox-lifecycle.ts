import type { RuntimeKind, SandboxHandle } from '../lib/episode';
import type { TaskConfig } from '../lib/task-config';
import { createDockerSandbox, DockerRuntime } from './sandbox/docker';
import { createLocalSandbox, LocalRuntime } from './sandbox/local';
import type { SandboxRuntime } from './sandbox/runtime';
import { ensureTaskData } from './sandbox/task-data';

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
  // Missing or unpreparable data throws TaskDataError, which no retry repeats.
  const data = await ensureTaskData(input.task, input.taskDir, input.runtime);
  const spec = { episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, data };
  return input.runtime === 'docker' ? createDockerSandbox(spec) : createLocalSandbox(spec);
}

export async function teardownSandbox(handle: SandboxHandle): Promise<void> {
  await runtimeFor(handle).destroy(handle);
}

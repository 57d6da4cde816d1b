import type { RuntimeKind, SandboxHandle } from '../../lib/episode';
import { DockerRuntime } from './docker';
import { LocalRuntime } from './local';
import type { SandboxRuntime } from './runtime';

/** The one place a runtime kind becomes a runtime. */
const runtimes: Record<RuntimeKind, () => SandboxRuntime> = {
  docker: () => new DockerRuntime(),
  local: () => new LocalRuntime(),
};

export const sandboxRuntime = (kind: RuntimeKind): SandboxRuntime => runtimes[kind]();

/** The runtime a sandbox was made by. */
export const runtimeFor = (handle: Pick<SandboxHandle, 'runtime'>): SandboxRuntime => sandboxRuntime(handle.runtime);

import type { RuntimeKind, SandboxHandle } from '../../lib/episode';
import { DockerRuntime } from './docker';
import { LocalRuntime } from './local';
import type { SandboxRuntime, SandboxRuntimeKind } from './runtime';

/** The one place a runtime kind becomes a runtime. */
const kinds: Record<RuntimeKind, SandboxRuntimeKind> = {
  docker: DockerRuntime,
  local: LocalRuntime,
};

/** What the kind says before any sandbox exists: its availability check and its warning. */
export const runtimeKind = (kind: RuntimeKind): SandboxRuntimeKind => kinds[kind];

export const sandboxRuntime = (kind: RuntimeKind): SandboxRuntime => new kinds[kind]();

/** The runtime a sandbox was made by. */
export const runtimeFor = (handle: Pick<SandboxHandle, 'runtime'>): SandboxRuntime => sandboxRuntime(handle.runtime);

import type { SandboxHandle } from '../../lib/episode';

/** Result of a short, synchronous command inside a sandbox. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  user?: 'agent' | 'root';
  stdin?: string;
  /** Working directory inside the sandbox; defaults to the workspace. */
  cwd?: string;
  env?: Record<string, string>;
}

export interface FileToCopy {
  /** Absolute path inside the sandbox. */
  path: string;
  content: Buffer;
  /** Octal file mode, e.g. 0o444 for read-only. */
  mode: number;
  owner: 'agent' | 'root';
}

/**
 * What every sandbox runtime (docker, local) offers. Everything richer (detached commands that
 * survive worker crashes, evaluation contexts) is built on these few primitives.
 */
export interface SandboxRuntime {
  exec(handle: SandboxHandle, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  copyIn(handle: SandboxHandle, files: FileToCopy[]): Promise<void>;
  /** The file's bytes, or undefined when it does not exist. */
  copyOut(handle: SandboxHandle, path: string): Promise<Buffer | undefined>;
  destroy(handle: SandboxHandle): Promise<void>;
  /** Whether the sandbox still exists (a container may have been removed or its host lost). */
  exists(handle: SandboxHandle): Promise<boolean>;
}

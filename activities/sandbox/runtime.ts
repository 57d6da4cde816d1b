import type { RuntimeKind, SandboxHandle } from '../../lib/episode';
import type { TrustedEvaluationInput, TrustedEvaluationResult } from './evaluation-context';
import type { SandboxSpec } from './layout';
import type { PrepareJob, PrepareRun } from './prepare-runs';

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
 * What every sandbox runtime (docker, local) offers, and every decision that depends on the kind:
 * nothing outside the runtimes asks which one it has. Everything richer (detached commands that
 * survive worker crashes, snapshots) is built on these primitives.
 */
export interface SandboxRuntime {
  readonly kind: RuntimeKind;
  /** Where the agent tools (and the detached-command runner) live, as seen from inside the sandbox. */
  readonly toolsDir: string;
  /** Files of this uid in the workspace are the harness's (evaluator copies, data): snapshots leave them out. */
  readonly harnessUid: number | undefined;
  /** Creates the episode's sandbox, or re-finds it: idempotent by episode id. */
  create(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Scores a submission in a fresh context the agent never touched, removed afterwards. */
  evaluate(input: TrustedEvaluationInput): Promise<TrustedEvaluationResult>;
  /** Runs a task's prepare script into the job's staging folder. */
  prepareData(job: PrepareJob): Promise<PrepareRun>;
  /** Writes files whose folders exist, leaving the folders (and their owners) as they are. */
  writeFiles(handle: SandboxHandle, files: FileToCopy[]): Promise<void>;
  exec(handle: SandboxHandle, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  copyIn(handle: SandboxHandle, files: FileToCopy[]): Promise<void>;
  /** The file's bytes, or undefined when it does not exist. */
  copyOut(handle: SandboxHandle, path: string): Promise<Buffer | undefined>;
  destroy(handle: SandboxHandle): Promise<void>;
  /** Whether the sandbox still exists (a container may have been removed or its host lost). */
  exists(handle: SandboxHandle): Promise<boolean>;
  /**
   * What to tell the agent after a command while the sandbox's disk limit is reached; undefined
   * while there is room. Absent for runtimes without a disk limit (local).
   */
  diskLimitNote?(handle: SandboxHandle): Promise<string | undefined>;
  /**
   * Where a path of the sandbox is on the worker's own filesystem, for runtimes whose sandboxes
   * share it: readers then read files without starting a process in the sandbox.
   */
  localPath?(handle: SandboxHandle, sandboxPath: string): string;
}

/**
 * What a runtime kind says before any sandbox exists (the CLI's checks): asking must not make a
 * runtime, since making the local one warns loudly on the worker.
 */
export interface SandboxRuntimeKind {
  new (): SandboxRuntime;
  /** Said before work starts when the runtime does not confine the agent; undefined when it does. */
  readonly warning: string | undefined;
  /** Fails fast, saying what to do, when the runtime cannot work on this machine. */
  checkAvailable(): Promise<void>;
}

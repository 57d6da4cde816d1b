import { ActivityFailure, ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';

/**
 * Every failure type this project throws from activities: the code that throws, the retry policies
 * and the failure classification all name them from here. A thrown Error reaches Temporal as an
 * ApplicationFailure whose type is the error's `name`, so the sandbox errors use these as names.
 */
export const FailureType = {
  // Model calls.
  /** Overloaded, rate limited, down, unreachable or too slow: try again later. */
  ProviderUnavailable: 'ProviderUnavailable',
  /** The call succeeded but the reply cannot be used: a glitch worth one more try. */
  ProviderMalformedReply: 'ProviderMalformedReply',
  /** The prompt no longer fits: the episode ends as exit_context. */
  ContextWindowExceeded: 'ContextWindowExceeded',
  /** The provider says the episode's budget is spent (a replayed `exit_cost` step): the episode ends as exit_cost. */
  CostLimitExceeded: 'CostLimitExceeded',
  /** The server refused the request for good (bad key, unknown model, bad parameter). */
  ProviderRejected: 'ProviderRejected',
  MissingApiKey: 'MissingApiKey',
  /** A model setting in the environment (e.g. the request timeout) is unusable. */
  ModelConfigInvalid: 'ModelConfigInvalid',
  ReplayExhausted: 'ReplayExhausted',
  ReplayUnreadable: 'ReplayUnreadable',

  // Sandboxes and tasks.
  /** The Docker engine does not answer: it may come back. */
  DockerUnreachable: 'DockerUnreachableError',
  /** The task's image is not on the host: building it is a person's job. */
  SandboxImageMissing: 'SandboxImageMissingError',
  /** The sandbox's container (or directory) is gone: removed, reaped, or its host lost. */
  SandboxGone: 'SandboxGoneError',
  /** A task's files cannot be laid out (a listed path is missing or escapes the task folder). */
  TaskLayout: 'TaskLayoutError',
  /** A task's data is missing or its prepare script failed. */
  TaskData: 'TaskDataError',
  /** An exec id that is not safe as a directory name inside the sandbox (a caller's bug). */
  InvalidExecId: 'InvalidExecIdError',
  /** copyOut of a path that exists but is a directory or a special file. */
  NotAFile: 'NotAFileError',
  /** A poll or kill of a detached command that was never started in this sandbox. */
  DetachedExecNotFound: 'DetachedExecNotFoundError',
  /** The launcher of a detached command failed (the command did not start; a retry may start it). */
  DetachedStart: 'DetachedStartError',
  /** A task needs more GPUs than its host has at all (not: all busy, which waits). */
  GpuUnavailable: 'GpuUnavailableError',
  /** The host's declared GPU inventory (MLGYM_GPUS) cannot be read. */
  GpuInventory: 'GpuInventoryError',
  /** This host cannot make sandbox disks at all (not root, no mkfs.ext4, a bad MLGYM_SANDBOX_DISKS). */
  SandboxDiskUnavailable: 'SandboxDiskUnavailableError',
  /** Making, mounting or removing a sandbox's disk failed (a retry may succeed). */
  SandboxDisk: 'SandboxDiskError',

  // Episodes.
  /** `episode resume --from-step K` names a step that has no snapshot or transcript. */
  ResumePointInvalid: 'ResumePointInvalid',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** The failures no retry can fix: every activity's retry policy stops at them. */
export const NON_RETRYABLE_TYPES: FailureType[] = [
  FailureType.ContextWindowExceeded,
  FailureType.CostLimitExceeded,
  FailureType.ProviderRejected,
  FailureType.MissingApiKey,
  FailureType.ModelConfigInvalid,
  FailureType.ReplayExhausted,
  FailureType.ReplayUnreadable,
  FailureType.SandboxImageMissing,
  FailureType.TaskLayout,
  FailureType.TaskData,
  FailureType.InvalidExecId,
  FailureType.GpuUnavailable,
  FailureType.GpuInventory,
  FailureType.SandboxDiskUnavailable,
  FailureType.ResumePointInvalid,
];

/** Provider failures that no retry can fix: a person must act (set a key, grant access). */
const BLOCKING_TYPES = new Set<string>([FailureType.ProviderRejected, FailureType.MissingApiKey]);

/** The reason to block on, when a failed model call is one a person has to fix; else undefined. */
export function blockingReason(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  return err.cause.type && BLOCKING_TYPES.has(err.cause.type) ? err.cause.message : undefined;
}

/** True when the failure (or the activity failure around it) has the given type. */
export function hasFailureType(err: unknown, type: FailureType): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === type;
}

/** The innermost message of a failure chain (workflow failed <- activity failed <- the real reason), its first line. */
export function rootCause(err: unknown): string {
  let current = err as Error;
  while (current.cause instanceof Error) current = current.cause;
  return String(current.message ?? current).split('\n')[0];
}

/**
 * An activity on a sandbox host's own queue that no worker picked up in time (schedule-to-start):
 * the host is down or cut off. A heartbeat timeout alone is not enough: it is retried on the same
 * queue, and only a host that does not come back leaves the retry unclaimed.
 */
export function isHostSilent(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

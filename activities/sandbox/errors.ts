import { FailureType } from '../../lib/failures';

/**
 * Typed sandbox failures. Temporal reports a thrown error with its `name` as the failure type, and
 * the retry policies stop at the non-retryable ones (an unreachable engine may come back; a missing
 * image or a bad task will not): see lib/failures.ts.
 */
export class DockerUnreachableError extends Error {
  override name = FailureType.DockerUnreachable;
  constructor(where: string, cause: unknown) {
    super(
      `Docker is not reachable at ${where}: start it with \`bash scripts/provision/docker.sh\` ` +
        `or use --runtime local (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
}

export class SandboxImageMissingError extends Error {
  override name = FailureType.SandboxImageMissing;
  constructor(image: string) {
    super(`sandbox image ${image} is not present: build it with \`bash scripts/provision/images.sh\``);
  }
}

/** The sandbox's container (or directory) is gone: removed, reaped, or its host lost. */
export class SandboxGoneError extends Error {
  override name = FailureType.SandboxGone;
  constructor(episodeId: string, detail: string) {
    super(`sandbox of episode ${episodeId} is gone: ${detail}`);
  }
}

/** A task's files cannot be laid out (a listed path is missing or escapes the task folder). */
export class TaskLayoutError extends Error {
  override name = FailureType.TaskLayout;
}

/** An exec id that is not safe to use as a directory name inside the sandbox. */
export class InvalidExecIdError extends Error {
  override name = FailureType.InvalidExecId;
  constructor(execId: string) {
    super(`exec id ${JSON.stringify(execId)} may hold letters, digits, _ . - only`);
  }
}

/** copyOut of a path that exists but is a directory or a special file. */
export class NotAFileError extends Error {
  override name = FailureType.NotAFile;
}

/** pollDetached or killDetached of an exec id that was never started in this sandbox. */
export class DetachedExecNotFoundError extends Error {
  override name = FailureType.DetachedExecNotFound;
  constructor(execId: string) {
    super(`no detached command ${execId} was started in this sandbox`);
  }
}

/** The launcher of a detached command failed (the command did not start; a retry may start it). */
export class DetachedStartError extends Error {
  override name = FailureType.DetachedStart;
  constructor(execId: string, detail: string) {
    super(`could not start detached command ${execId}: ${detail}`);
  }
}

/** A task's data is missing or its prepare script failed: retrying the same thing is futile. */
export class TaskDataError extends Error {
  override name = FailureType.TaskData;
}

/** A task needs more GPUs than this host has at all: no wait would help. */
export class GpuUnavailableError extends Error {
  override name = FailureType.GpuUnavailable;
  constructor(needed: number, has: number, source: string) {
    super(
      `the task needs ${needed} GPU(s) and this host has ${has} (${source === 'none' ? 'nvidia-smi lists none and MLGYM_GPUS is not set' : `from ${source}`}): ` +
        'run it on a host with enough GPUs, or lower resources.gpus',
    );
  }
}

/** This host cannot make sandbox disks at all: a person must change its setup. */
export class SandboxDiskUnavailableError extends Error {
  override name = FailureType.SandboxDiskUnavailable;
  constructor(reason: string) {
    super(
      `cannot give sandboxes a disk limit on this host: ${reason}. Run the worker as root on the Docker host, ` +
        "or set MLGYM_SANDBOX_DISKS=off to run sandboxes without a disk limit (an agent can then fill this host's disk)",
    );
  }
}

/** Making, mounting or removing a sandbox's disk failed. */
export class SandboxDiskError extends Error {
  override name = FailureType.SandboxDisk;
}

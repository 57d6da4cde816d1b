import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { episodeKeys } from '../../lib/artifact-keys';
import type { RuntimeKind, SandboxHandle } from '../../lib/episode';
import { FailureType } from '../../lib/failures';
import { isEmptyPlan, type OmittedFile, restorePlan, type RestorePlan, type SnapshotManifest } from '../../lib/snapshot';
import type { TaskConfig } from '../../lib/task-config';
import type { ArtifactStore } from '../artifacts/store';
import { tryGetJson } from '../artifacts/store';
import { artifacts } from '../context';
import { killDetached } from '../sandbox/detached';
import type { FileToCopy, SandboxRuntime } from '../sandbox/runtime';
import { prepareSandbox } from '../sandbox-lifecycle';
import { runtimeFor } from '../sandbox/runtimes';
import { scanWorkspace } from './scan';

/**
 * Bringing a workspace back to a stored snapshot: for `mlgym episode resume` (restoreSandbox, an
 * activity) and for a step whose earlier run's commands must be superseded (restoreWorkspace).
 */

/** Heartbeat details, for work that may take long (large restores, many snapshot files). */
export type Beat = (details: Record<string, unknown>) => void;

/** Bytes copied into a sandbox per archive when restoring (Docker's putArchive takes one tar each). */
const RESTORE_BATCH_BYTES = 64 * 1024 * 1024;

const script = (runtime: SandboxRuntime) => `${runtime.toolsDir}/runner/mlgym-snapshot`;

const UNFINISHED = `for d in "$HOME"/.mlgym/exec/*/; do
  [ -e "$d/started" ] || continue
  [ -e "$d/exit" ] || basename "$d"
done
[ -d "$HOME/.mlgym/exec" ] && ls -A "$HOME/.mlgym/exec" | grep -q . && echo "--ran"
exit 0`;

const LEGACY_RENAME = `cd "$HOME/.mlgym/exec" 2>/dev/null || exit 0
for d in step-*; do [[ $d =~ ^step-[0-9]+$ ]] && mv -- "$d" "$d-legacy"; done
exit 0`;

/** Commands still running in the sandbox (by exec id), and whether any command ever ran in it. */
async function commandsInSandbox(runtime: SandboxRuntime, handle: SandboxHandle): Promise<{ running: string[]; ranAny: boolean }> {
  const result = await runtime.exec(handle, ['bash', '-c', UNFINISHED, 'mlgym-unfinished'], { env: { HOME: handle.home } });
  const lines = result.stdout.split('\n').filter(Boolean);
  return { running: lines.filter((l) => l !== '--ran'), ranAny: lines.includes('--ran') };
}

async function applyPlan(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  part: Partial<Pick<RestorePlan, 'delete' | 'mkdir' | 'links' | 'files' | 'dirs'>>,
): Promise<string[]> {
  const result = await runtime.exec(handle, ['python3', script(runtime), 'apply', handle.workspace], {
    stdin: JSON.stringify(part),
    env: { HOME: handle.home },
  });
  if (result.exitCode !== 0) throw new Error(`restoring the workspace failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`);
  return (JSON.parse(result.stdout) as { errors: string[] }).errors;
}

export interface RestoreReport {
  /** The snapshot the workspace was brought to (undefined: no command had run, the starter code is it). */
  snapshotStep?: number;
  written: number;
  writtenBytes: number;
  deleted: number;
  /** Files of the snapshot that were over the cap, so their content could not be restored. */
  notRestored: OmittedFile[];
  /** Commands of the earlier run still running in a re-used sandbox, stopped before restoring. */
  stoppedCommands: string[];
  errors: string[];
}

/**
 * Makes the workspace of a sandbox equal to a stored snapshot: removes what the snapshot lacks,
 * copies in what differs from its blobs, and puts the modes and mtimes back (so the next snapshot
 * diffs cleanly). Idempotent: a second run finds nothing to do.
 */
export async function restoreWorkspace(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  store: ArtifactStore,
  manifest: SnapshotManifest,
  exclude: string[],
  beat: Beat = () => undefined,
): Promise<Omit<RestoreReport, 'stoppedCommands'>> {
  const keys = episodeKeys(manifest.episodeId);
  const scan = await scanWorkspace(runtime, handle, exclude);
  const plan = restorePlan(manifest.entries, scan.entries);
  const report = {
    snapshotStep: manifest.step,
    written: 0,
    writtenBytes: 0,
    deleted: plan.delete.length,
    notRestored: plan.notRestorable,
    errors: [] as string[],
  };
  if (isEmptyPlan(plan)) return report;
  report.errors.push(...(await applyPlan(runtime, handle, { delete: plan.delete, mkdir: plan.mkdir, links: plan.links })));
  let batch: FileToCopy[] = [];
  let batchBytes = 0;
  const flush = async () => {
    // The folders exist by now (the first apply made them): only the files go in.
    if (batch.length) await runtime.writeFiles(handle, batch);
    batch = [];
    batchBytes = 0;
  };
  for (const file of plan.write) {
    const content = await store.get(keys.snapshotBlob(file.h!));
    batch.push({ path: path.posix.join(handle.workspace, file.p), content, mode: file.x & 0o7777, owner: 'agent' });
    batchBytes += content.length;
    report.written += 1;
    report.writtenBytes += content.length;
    if (batchBytes >= RESTORE_BATCH_BYTES) {
      beat({ restoring: file.p, written: report.written });
      await flush();
    }
  }
  await flush();
  report.errors.push(...(await applyPlan(runtime, handle, { files: plan.files, dirs: plan.dirs })));
  return report;
}

export interface RestoreSandboxInput {
  episodeId: string;
  taskDir: string;
  task: TaskConfig;
  runtime: RuntimeKind;
  /** The step whose manifest describes the workspace to resume with (none: the starter code). */
  snapshotStep?: number;
  exclude: string[];
}

export interface RestoreSandboxResult {
  handle: SandboxHandle;
  report: RestoreReport;
}

/**
 * For `mlgym episode resume`: re-finds the episode's sandbox (or creates a new one when it is
 * gone), stops commands the earlier run left running in it, and brings its workspace to the
 * snapshot of the resume step. A re-used sandbox is restored too, so steps after the resume step
 * leave no trace in the workspace the model is told about.
 */
export async function restoreSandbox(input: RestoreSandboxInput): Promise<RestoreSandboxResult> {
  const ctx = Context.current();
  const beat: Beat = (details) => ctx.heartbeat(details);
  const prepare = () => prepareSandbox({ episodeId: input.episodeId, taskDir: input.taskDir, task: input.task, runtime: input.runtime });
  let handle = await prepare();
  const runtime = runtimeFor(handle);
  const commands = await commandsInSandbox(runtime, handle);
  for (const execId of commands.running) await killDetached(runtime, handle, execId, 2);
  // Commands of versions before per-run exec ids are named `step-<n>`, which execCommand would
  // re-attach to: renamed, they count as an earlier run's.
  await runtime.exec(handle, ['bash', '-c', LEGACY_RENAME, 'mlgym-legacy-rename'], { env: { HOME: handle.home } });
  const base = { written: 0, writtenBytes: 0, deleted: 0, notRestored: [], stoppedCommands: commands.running, errors: [] };

  if (input.snapshotStep === undefined) {
    // No command ran up to the resume step: the workspace to resume with is the starter code, which
    // only a fresh sandbox is sure to have.
    if (commands.ranAny) {
      await runtime.destroy(handle);
      handle = await prepare();
    }
    return { handle, report: base };
  }
  const store = artifacts();
  const manifest = await tryGetJson<SnapshotManifest>(store, episodeKeys(input.episodeId).snapshotManifest(input.snapshotStep));
  if (!manifest) {
    throw ApplicationFailure.create({
      type: FailureType.ResumePointInvalid,
      message: `the workspace snapshot of step ${input.snapshotStep} of ${input.episodeId} is missing from the artifact store`,
      nonRetryable: true,
    });
  }
  const restored = await restoreWorkspace(runtime, handle, store, manifest, input.exclude, beat);
  return { handle, report: { ...base, ...restored, stoppedCommands: commands.running } };
}

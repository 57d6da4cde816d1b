import { createHash } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { episodeKeys } from '../lib/artifact-keys';
import type { RuntimeKind, SandboxHandle } from '../lib/episode';
import {
  changedContent,
  diffManifest,
  isEmptyPlan,
  isUnchanged,
  type ManifestEntry,
  parseScan,
  type OmittedFile,
  restorePlan,
  type RestorePlan,
  type ScanEntry,
  type SnapshotManifest,
  type SnapshotReport,
  type SnapshotSettings,
} from '../lib/snapshot';
import type { TaskConfig } from '../lib/task-config';
import { artifacts } from './context';
import type { ArtifactStore } from './artifacts/store';
import { tryGetJson } from './artifacts/store';
import { killDetached, type ScriptCall } from './sandbox/detached';
import { DockerRuntime } from './sandbox/docker';
import { fileEntry } from './sandbox/entries';
import { toolsDir } from './sandbox/paths';
import type { FileToCopy, SandboxRuntime } from './sandbox/runtime';
import { prepareSandbox, runtimeFor } from './sandbox-lifecycle';
import { FailureType } from '../lib/failures';

/** Bytes copied into a sandbox per archive when restoring (Docker's putArchive takes one tar each). */
const RESTORE_BATCH_BYTES = 64 * 1024 * 1024;

type Beat = (details: Record<string, unknown>) => void;

const script = (handle: SandboxHandle) => `${toolsDir(handle)}/runner/mlgym-snapshot`;

/**
 * Lists a folder's entries (metadata only) with one `find`, pruning the excluded paths (given as
 * `find -path` patterns). Exit 1 with output means some entries could not be read: reported.
 */
export const SCAN_SCRIPT = `root=$1; shift
prune=()
for pattern in "$@"; do prune+=(-o -path "$pattern"); done
if [ \${#prune[@]} -gt 0 ]; then
  exec find "$root" -mindepth 1 \\( "\${prune[@]:1}" \\) -prune -o -printf '%y\\t%s\\t%T@\\t%m\\t%U\\t%P\\0%l\\0'
fi
exec find "$root" -mindepth 1 -printf '%y\\t%s\\t%T@\\t%m\\t%U\\t%P\\0%l\\0'`;

/** The listing of `root` minus the relative paths in `exclude`, as a script call. */
export function scanCall(root: string, exclude: string[]): ScriptCall {
  const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');
  return { script: SCAN_SCRIPT, args: [root, ...exclude.map((p) => `${glob(root)}/${glob(p)}`)] };
}

/** The argv that lists `root` minus the relative paths in `exclude`. */
export function scanArgv(root: string, exclude: string[]): string[] {
  const { script, args } = scanCall(root, exclude);
  return ['bash', '-c', script, 'mlgym-scan', ...args];
}

export type WorkspaceScan = { entries: ScanEntry[]; errors: string[] };

/**
 * Lists the workspace inside the sandbox: metadata only, one `find`, so it stays cheap when
 * nothing changed. In a container everything root-owned (the evaluator copies, the data) is left
 * out; the local runtime has one owner for all, so the task's read-only paths are excluded by name.
 */
export async function scanWorkspace(runtime: SandboxRuntime, handle: SandboxHandle, exclude: string[]): Promise<WorkspaceScan> {
  return workspaceScanOf(handle, await runtime.exec(handle, scanArgv(handle.workspace, exclude), { env: { HOME: handle.home } }));
}

/** The workspace listing from the output of SCAN_SCRIPT (run alone or after a quick command). */
export function workspaceScanOf(handle: SandboxHandle, result: { stdout: string; stderr: string; exitCode: number }): WorkspaceScan {
  if (result.exitCode !== 0 && (result.exitCode !== 1 || result.stdout === '')) {
    throw new Error(`listing the workspace failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`);
  }
  const scan = parseScan(result.stdout, handle.runtime === 'docker' ? 0 : undefined);
  scan.errors.push(...result.stderr.split('\n').filter(Boolean).slice(0, 20));
  return scan;
}

/**
 * Stores the workspace after `step` incrementally: files new or changed since the previous
 * manifest (size, mtime or mode differ) are copied out and stored by their sha256, unless larger
 * than the cap (then listed as omitted and reported); a new manifest is written only when
 * something changed. Best effort: a failure is reported, never fails the step, and the next
 * snapshot diffs against the last stored manifest, so the changes are caught up then.
 */
export async function takeSnapshot(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  episodeId: string,
  step: number,
  settings: SnapshotSettings,
  beat: Beat = () => undefined,
  /** The workspace listing when it was already taken (right after the command ended). */
  listed?: WorkspaceScan,
): Promise<SnapshotReport> {
  const started = Date.now();
  const maxFileMb = settings.maxFileBytes / (1024 * 1024);
  const report: SnapshotReport = { manifestStep: settings.previousStep, changed: 0, deleted: 0, storedFiles: 0, storedBytes: 0, omitted: [], maxFileMb, durationMs: 0 };
  try {
    const store = artifacts();
    const keys = episodeKeys(episodeId);
    const previous =
      settings.previousStep === undefined ? undefined : await tryGetJson<SnapshotManifest>(store, keys.snapshotManifest(settings.previousStep));
    const scan = listed ?? (await scanWorkspace(runtime, handle, settings.exclude));
    if (scan.errors.length) report.warnings = scan.errors.slice(0, 20);
    const diff = diffManifest(previous?.entries, scan.entries);
    report.changed = changedContent(diff);
    report.deleted = diff.deleted.length;
    if (previous && isUnchanged(diff)) return report;

    const entries: ManifestEntry[] = [...diff.unchanged];
    for (const entry of diff.changed) {
      if (entry.t !== 'f') {
        entries.push(entry);
        continue;
      }
      if (entry.s > settings.maxFileBytes) {
        report.omitted.push({ path: entry.p, bytes: entry.s });
        entries.push({ ...entry, omitted: 'over_cap' });
        continue;
      }
      beat({ snapshot: entry.p, step });
      const content = await runtime.copyOut(handle, path.posix.join(handle.workspace, entry.p));
      if (content === undefined) continue; // removed since the listing: as if deleted
      if (content.length > settings.maxFileBytes) {
        report.omitted.push({ path: entry.p, bytes: content.length });
        entries.push({ ...entry, s: content.length, omitted: 'over_cap' });
        continue;
      }
      const h = createHash('sha256').update(content).digest('hex');
      if (!(await store.exists(keys.snapshotBlob(h)))) {
        await store.put(keys.snapshotBlob(h), content);
        report.storedFiles += 1;
        report.storedBytes += content.length;
      }
      // The listed size and mtime stay: they are what the next listing is compared with.
      entries.push({ ...entry, h });
    }
    entries.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
    const manifest: SnapshotManifest = {
      version: 1,
      episodeId,
      step,
      ...(settings.previousStep !== undefined && previous && { baseStep: settings.previousStep }),
      entries,
    };
    await store.put(keys.snapshotManifest(step), JSON.stringify(manifest));
    report.manifestStep = step;
    return report;
  } catch (err) {
    report.error = (err as Error).message.slice(0, 1000);
    return report;
  } finally {
    report.durationMs = Date.now() - started;
  }
}

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

async function applyPlan(runtime: SandboxRuntime, handle: SandboxHandle, part: Partial<Pick<RestorePlan, 'delete' | 'mkdir' | 'links' | 'files' | 'dirs'>>): Promise<string[]> {
  const result = await runtime.exec(handle, ['python3', script(handle), 'apply', handle.workspace], { stdin: JSON.stringify(part), env: { HOME: handle.home } });
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
  const report = { snapshotStep: manifest.step, written: 0, writtenBytes: 0, deleted: plan.delete.length, notRestored: plan.notRestorable, errors: [] as string[] };
  if (isEmptyPlan(plan)) return report;
  report.errors.push(...(await applyPlan(runtime, handle, { delete: plan.delete, mkdir: plan.mkdir, links: plan.links })));
  let batch: FileToCopy[] = [];
  let batchBytes = 0;
  const flush = async () => {
    // In a container, only the files themselves: the folders exist by now (the first apply made
    // them), and a folder entry in the archive would take over a root-owned shared folder.
    if (batch.length && runtime instanceof DockerRuntime) await runtime.writeEntries(handle, batch.map(fileEntry));
    else if (batch.length) await runtime.copyIn(handle, batch);
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

// Exits 3 when it lists any: the gate of a quick start (startAndWait) then starts nothing.
const EARLIER_RUNS = `n=$1 own=$2
cd "$HOME/.mlgym/exec" 2>/dev/null || exit 0
[ -e "$own/started" ] && { echo own; exit 0; }
found=0
for d in step-*; do
  [ -e "$d/started" ] || continue
  m=\${d#step-}; m=\${m%%-*}
  [[ $m =~ ^[0-9]+$ ]] && (( m >= n )) || continue
  found=3
  if [ -e "$d/exit" ]; then echo "done $d"; else echo "running $d"; fi
done
exit $found`;

/** The check that no earlier run's command at `step` or later is in the sandbox, as a gate for startAndWait. */
export const earlierRunsGate = (step: number, execId: string): ScriptCall => ({ script: EARLIER_RUNS, args: [String(step), execId] });

/** What execCommand found and did about commands an earlier run of the episode ran at this step or later. */
export interface SupersededRuns {
  /** Exec ids of those commands (a reset or resumed episode is running these steps again). */
  commands: string[];
  /** Those still running, stopped first. */
  stopped: string[];
  /** The workspace brought back to the snapshot the step starts from, when there is one. */
  restore?: Omit<RestoreReport, 'stoppedCommands'>;
  error?: string;
}

/**
 * Before a step's command starts for the first time in this run: when the sandbox holds commands
 * that an earlier run of this episode ran at this step or later (after `temporal workflow reset`,
 * or a resume that re-used the sandbox), those are stopped and the workspace is brought back to
 * the snapshot the step starts from, so the step sees the workspace its transcript describes.
 * `listing` is what the gate (earlierRunsGate) printed when it stopped a quick start. Returns
 * `legacyExecId` when the step's command was started under the exec id of older versions.
 */
export async function supersedeListed(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  episodeId: string,
  step: number,
  listing: string,
  snapshot: SnapshotSettings | undefined,
  beat: Beat = () => undefined,
): Promise<{ legacyExecId?: string; superseded?: SupersededRuns }> {
  const lines = listing.split('\n').filter(Boolean);
  if (lines.includes('own')) return {};
  const found = lines.map((line) => ({ running: line.startsWith('running '), execId: line.slice(line.indexOf(' ') + 1) }));
  // Versions before per-run exec ids named a step's command `step-<n>`: re-attach to it.
  if (found.some((f) => f.execId === `step-${step}`)) return { legacyExecId: `step-${step}` };
  if (!found.length) return {};
  const superseded: SupersededRuns = { commands: found.map((f) => f.execId), stopped: [] };
  try {
    for (const f of found.filter((f) => f.running)) {
      await killDetached(runtime, handle, f.execId, 2);
      superseded.stopped.push(f.execId);
    }
    if (snapshot?.previousStep !== undefined) {
      const store = artifacts();
      const manifest = await tryGetJson<SnapshotManifest>(store, episodeKeys(episodeId).snapshotManifest(snapshot.previousStep));
      if (manifest) superseded.restore = await restoreWorkspace(runtime, handle, store, manifest, snapshot.exclude, beat);
    }
  } catch (err) {
    superseded.error = (err as Error).message.slice(0, 1000);
  }
  return { superseded };
}

import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { episodeKeys } from '../lib/artifact-keys';
import type { SandboxHandle } from '../lib/episode';
import { observationPrompt, type StepTemplates } from '../lib/prompts';
import type { SnapshotReport, SnapshotSettings } from '../lib/snapshot';
import { truncateMiddle } from '../lib/truncate';
import { evaluationMarker, observationFromOutput, timeoutObservation } from '../lib/mlgym-env';
import { artifacts } from './context';
import { currentState, type DetachedStatus, killDetached, pollDetached, readDetachedOutput, startAndWait, startDetached } from './sandbox/detached';
import { runtimeFor } from './sandbox/runtimes';
import { scanCall, workspaceScanOf } from './snapshot/scan';
import { earlierRunsGate, type SupersededRuns, supersedeListed } from './snapshot/supersede';
import { takeSnapshot } from './snapshot/take';
import { writeMessage } from './transcript';
import type { ExecRecord } from './finish';

const MAX_FAILED_POLLS = 60;
/** How long the first round trip waits for a command to end: most agent commands take less. */
const QUICK_WAIT_MS = 1000;
/** Output returned by that round trip itself; longer output is copied out of the sandbox. */
const INLINE_OUTPUT_BYTES = 256 * 1024;

export interface ExecCommandInput {
  episodeId: string;
  step: number;
  handle: SandboxHandle;
  command: string;
  timeoutSec: number;
  /** Environment for the command's shell: the editor's WINDOW and OVERLAP of the agent config. */
  toolEnv?: Record<string, string>;
  /** Stop the command after this long without output (MLGym's no-output timeout); absent: none. */
  noOutputTimeoutSec?: number;
  /** Characters of output shown to the model (head and tail); 0 shows all, as MLGym does. */
  observationChars: number;
  transcriptLength: number;
  maxSteps: number;
  /** The agent config's next-step templates (absent: our default agent's). */
  stepTemplates?: StepTemplates;
  /** Store the workspace's changed files once the command ended (absent: snapshots are off). */
  snapshot?: SnapshotSettings;
}

export interface ExecCommandResult {
  transcriptLength: number;
  exitCode?: number;
  timedOut: boolean;
  outputBytes: number;
  durationMs: number;
  /** What the workspace snapshot stored, skipped (files over the cap) or failed on. */
  snapshot?: SnapshotReport;
  /** Commands an earlier run ran at this step or later (reset / resumed episode), and the restore. */
  superseded?: SupersededRuns;
  /**
   * The command ran MLGym's `validate` or `submit` tool: the episode evaluates now, and the
   * evaluation's message (not the command's output) is the step's observation.
   */
  marker?: 'validate' | 'submit';
}

/**
 * The exec id of a step's command: unique per workflow run, so a retry of the activity in the
 * same run re-attaches to its command, while a resumed episode (a new run of the same workflow id)
 * never mistakes the command an earlier run started at that step for its own.
 */
export function execIdFor(step: number, runId: string | undefined): string {
  // Hashed: run ids are UUIDv7 on recent servers, whose leading characters are a timestamp that
  // runs started a minute apart share.
  return runId ? `step-${step}-${createHash('sha256').update(runId).digest('hex').slice(0, 12)}` : `step-${step}`;
}

/**
 * Runs one agent command detached inside the sandbox under a deterministic exec id, so a retry
 * after a worker crash re-attaches to it (or collects its result) instead of starting it again.
 * Heartbeats carry progress; the full output becomes an artifact, the model sees head and tail.
 */
export async function execCommand(input: ExecCommandInput): Promise<ExecCommandResult> {
  const ctx = Context.current();
  const runtime = runtimeFor(input.handle);
  const beat = (details: Record<string, unknown>) => ctx.heartbeat(details);
  const ownExecId = execIdFor(input.step, ctx.info.workflowExecution?.runId);
  const started = Date.now();
  const quietSec = input.noOutputTimeoutSec ?? 0;
  // One round trip for a short command: no earlier run's command in the way, start, wait briefly,
  // status, output and the snapshot's listing.
  const quick = await startAndWait(runtime, input.handle, ownExecId, input.command, input.timeoutSec, quietSec, input.toolEnv ?? {}, {
    gate: earlierRunsGate(input.step, ownExecId),
    ...(input.snapshot && { after: scanCall(input.handle.workspace, input.snapshot.exclude) }),
    waitMs: QUICK_WAIT_MS,
    inlineOutputBytes: INLINE_OUTPUT_BYTES,
  });
  let execId = ownExecId;
  let superseded: SupersededRuns | undefined;
  let poll: DetachedStatus;
  if ('gated' in quick) {
    const earlier = await supersedeListed(runtime, input.handle, input.episodeId, input.step, quick.gated, input.snapshot, beat);
    execId = earlier.legacyExecId ?? ownExecId;
    superseded = earlier.superseded;
    await startDetached(runtime, input.handle, execId, input.command, input.timeoutSec, quietSec, input.toolEnv);
    poll = await pollDetached(runtime, input.handle, execId);
  } else {
    poll = quick.status;
  }
  let failedPolls = 0;
  // Polls back off to 2 s, and to 5 s once a command has run a minute: a worker holding hundreds of
  // long commands polls each a few times a minute, and a long command's end is noticed in seconds.
  for (let delay = 50; !poll.done; delay = Math.min(delay * 1.5, poll.elapsedSec < 60 ? 2000 : 5000)) {
    ctx.heartbeat({ elapsedSec: poll.elapsedSec, outputBytes: poll.outputBytes, lastLine: poll.lastLine.slice(0, 200) });
    try {
      await ctx.sleep(delay);
    } catch (err) {
      // The episode's cancel stops the command; a worker shutting down (SIGTERM) must not: the
      // command lives in the sandbox and the retried activity on another worker re-attaches to it.
      if (err instanceof CancelledFailure && err.message !== 'WORKER_SHUTDOWN') await killDetached(runtime, input.handle, execId);
      throw err;
    }
    try {
      poll = await pollDetached(runtime, input.handle, execId);
      failedPolls = 0;
    } catch (err) {
      // A fork bomb holding the pids limit makes `docker exec` fail for a while; the runner's own
      // watchdog still ends the command, so keep polling (a retry would re-attach anyway).
      if (++failedPolls > MAX_FAILED_POLLS) throw err;
    }
  }

  const store = artifacts();
  const keys = episodeKeys(input.episodeId);
  const quickEnd = 'gated' in quick || !quick.status.done ? undefined : quick;
  const output = quickEnd?.output ?? (await readDetachedOutput(runtime, input.handle, execId)).toString('utf8');
  const outputKey = keys.execOutput(input.step);

  const state = poll.state ?? (await currentState(runtime, input.handle));
  const marker = poll.timedOut ? undefined : evaluationMarker(output);
  let observation = observationFromOutput(output);
  if (input.observationChars > 0) observation = truncateMiddle(observation, input.observationChars, store.locate(outputKey));
  if (poll.timedOut) {
    observation = poll.quiet ? timeoutObservation(observation, input.noOutputTimeoutSec ?? 0, true) : timeoutObservation(observation, input.timeoutSec, false);
  } else if (poll.note) {
    observation += `\n[${poll.note}]`;
  }
  // Said while the sandbox's disk is full, after a timeout too (a command that kept going after its
  // writes failed ends by its timeout).
  const diskNote = await runtime.diskLimitNote?.(input.handle);
  if (diskNote) observation += `\n[${diskNote}]`;
  const executionTime = poll.elapsedSec ?? (Date.now() - started) / 1000;
  // Not part of the observation: the model is not told about snapshots; the UI shows the record.
  // Independent writes go out together: a step's overhead is mostly round trips.
  const [, snapshot] = await Promise.all([
    store.put(outputKey, output),
    input.snapshot
      ? takeSnapshot(runtime, input.handle, input.episodeId, input.step, input.snapshot, beat, quickEnd?.after && workspaceScanOf(runtime, quickEnd.after))
      : undefined,
    marker
      ? undefined
      : writeMessage(store, input.episodeId, input.transcriptLength, {
          role: 'user',
          kind: 'observation',
          step: input.step,
          content: observationPrompt(observation, input.step, input.maxSteps, state, input.stepTemplates),
        }),
  ]);
  const durationMs = Math.round(executionTime * 1000);
  const reported = { exitCode: poll.exitCode, outputBytes: poll.outputBytes, durationMs, ...(snapshot && { snapshot }), ...(superseded && { superseded }) };
  // The evaluation that follows a marker writes the step's observation and record itself.
  if (marker) return { ...reported, transcriptLength: input.transcriptLength, timedOut: false, marker };
  const record: ExecRecord = {
    observation,
    execution_time: executionTime,
    state,
    outputKey,
    exitCode: poll.exitCode,
    ...(snapshot && { snapshot }),
    ...(superseded && { superseded }),
  };
  await store.put(keys.execRecord(input.step), JSON.stringify(record));
  return { ...reported, transcriptLength: input.transcriptLength + 1, timedOut: poll.timedOut };
}

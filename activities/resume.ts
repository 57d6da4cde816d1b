import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { episodeKeys } from '../lib/artifact-keys';
import type { EpisodeProgress, Evaluation } from '../lib/episode';
import type { TranscriptMessage } from '../lib/history';
import { preview } from '../lib/truncate';
import { artifacts } from './context';
import type { ArtifactStore } from './artifacts/store';
import { tryGetJson } from './artifacts/store';
import type { CallRecord, ExecRecord, ModelCallRecord } from './finish';
import { mapLimited } from './async';
import { FailureType } from '../lib/failures';

export interface LoadResumePointInput {
  episodeId: string;
  fromStep: number;
}

/** The progress of an episode at the end of a step, minus the sandbox and limits (the caller's). */
export type ResumePoint = Omit<EpisodeProgress, 'sandbox' | 'limits'>;

/** Resuming cannot work from this step (not completed, records missing): retrying will not help. */
const invalid = (message: string) => ApplicationFailure.create({ type: FailureType.ResumePointInvalid, message, nonRetryable: true });

/** Reads up to 32 keys at a time, in order. */
const readAll = <K, T>(keys: K[], read: (key: K) => Promise<T>): Promise<T[]> => mapLimited(keys, 32, read);

/**
 * Rebuilds what the workflow carried at the end of step `fromStep` from the artifacts its steps
 * stored: the transcript length (messages of steps <= fromStep), the model calls with their cost
 * and usage (every billed attempt, malformed replies included), the evaluations of validate steps,
 * the last action and the workspace snapshot to restore. Records of later steps are ignored: they
 * belong to the run being replaced.
 */
export async function rebuildProgress(store: ArtifactStore, episodeId: string, fromStep: number, beat: () => void = () => undefined): Promise<ResumePoint> {
  if (!Number.isInteger(fromStep) || fromStep < 0) throw invalid(`cannot resume from step ${fromStep}: a step number is a non-negative integer`);
  const keys = episodeKeys(episodeId);
  const stored = new Set(await store.list(keys.stepsPrefix));
  const steps = Array.from({ length: fromStep }, (_, i) => i + 1);
  const incomplete = steps.filter((s) => !stored.has(keys.modelCall(s)) || !stored.has(keys.execRecord(s)));
  if (incomplete.length) {
    throw invalid(`cannot resume ${episodeId} from step ${fromStep}: step ${incomplete[0]} has no stored model call and outcome (was it completed?)`);
  }
  const need = async <T>(key: string) => {
    const value = await tryGetJson<T>(store, key);
    if (value === undefined) throw invalid(`cannot resume ${episodeId}: ${store.locate(key)} is missing`);
    return value;
  };

  const point: ResumePoint = { step: fromStep, transcriptLength: 0, modelCalls: 0, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, evaluations: [] };
  const models = await readAll(
    steps.map((s) => keys.modelCall(s)),
    (k) => need<ModelCallRecord>(k),
  );
  beat();
  const execs = await readAll(
    steps.map((s) => keys.execRecord(s)),
    (k) => need<ExecRecord>(k),
  );
  beat();
  for (const [i, model] of models.entries()) {
    const step = i + 1;
    // The step's successful call came after one failed attempt per recorded format error.
    const attempts = (model.formatErrors?.length ?? 0) + 1;
    const calls = await readAll(
      Array.from({ length: attempts }, (_, a) => keys.callRecord(step, a)),
      (k) => tryGetJson<CallRecord>(store, k),
    );
    point.modelCalls += attempts;
    if (calls.every((c) => c !== undefined)) {
      for (const call of calls as CallRecord[]) addBilling(point, call.costUsd, call.usage);
    } else {
      // Episodes recorded before per-call records: only the successful call's billing is known.
      addBilling(point, model.costUsd ?? 0, model.usage ?? { inputTokens: 0, outputTokens: 0 });
    }
    const exec = execs[i];
    if (exec.evaluation)
      point.evaluations.push({
        kind: exec.evaluation.kind,
        step,
        metrics: exec.evaluation.metrics,
        ...(exec.evaluation.split && { split: exec.evaluation.split }),
      } satisfies Evaluation);
    if (exec.snapshot?.manifestStep !== undefined) point.snapshotStep = exec.snapshot.manifestStep;
    point.lastAction = preview(model.action, 200);
  }

  // The system prompt and the task (step 0), then each completed step's action and observation.
  // Read in parallel as far as that shape says, then on one by one should there be more.
  const expected = 2 + 2 * fromStep;
  const read = (seq: number) => tryGetJson<TranscriptMessage>(store, keys.transcriptMessage(seq));
  const first = await readAll(
    Array.from({ length: expected + 1 }, (_, seq) => seq),
    read,
  );
  let seq = 0;
  for (let message = first[0]; message && message.step <= fromStep; message = seq < first.length ? first[seq] : await read(seq)) seq += 1;
  point.transcriptLength = seq;
  if (point.transcriptLength < 2 + 2 * fromStep) {
    throw invalid(`cannot resume ${episodeId} from step ${fromStep}: its stored transcript has only ${point.transcriptLength} messages of those steps`);
  }
  return point;
}

function addBilling(point: ResumePoint, costUsd: number, usage: { inputTokens: number; outputTokens: number }): void {
  point.costUsd += costUsd;
  point.usage.inputTokens += usage.inputTokens;
  point.usage.outputTokens += usage.outputTokens;
}

/** The activity around rebuildProgress, run first by a resumed episode. */
export async function loadResumePoint(input: LoadResumePointInput): Promise<ResumePoint> {
  const ctx = Context.current();
  return rebuildProgress(artifacts(), input.episodeId, input.fromStep, () => ctx.heartbeat());
}

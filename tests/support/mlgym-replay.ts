import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fromPayloadsAtIndex } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { LABELS } from '../../activities/sandbox/container-config';
import type { EpisodeInput, EpisodeResult, EpisodeStatus } from '../../lib/episode';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';
import { STATE_DIR } from '../../scripts/lib/settings';
import { statusQuery } from '../../lib/episode-messages';
import { episodeWorkflow } from '../../workflows/episode';
import { ensureDocker, removeLabelled } from './docker';
import { startEpisodeHarness, type EpisodeHarness } from './episode-harness';
import { listPublishedRuns, materialiseCheckout, rebuildStarterFiles, recordedSeconds, SHARED_MLGYM_CHECKOUT, type PublishedRun } from './mlgym-runs';
import {
  judge,
  observationDivergences,
  runLabel,
  type Divergence,
  type EvaluationRecord,
  type OurOutcome,
  type OurStep,
  type RunVerdict,
} from './mlgym-verdict';

/**
 * Replays MLGym's published runs through MLGym's own task files in Docker, one episode per run on
 * a real Temporal dev server and an in-process worker, and judges each against what MLGym recorded.
 * Shared by scripts/bench/replay-mlgym.ts and tests/integration/mlgym-replay.test.ts.
 */

/** MLGym's benchmark limits; the replay model is free, so the cost limit never bites by itself. */
export const MLGYM_BENCH_LIMITS = { max_steps: 50, cost_limit_usd: 4 } as const;

export interface ReplayOptions {
  checkout?: string;
  /** Only runs whose folder name contains this. */
  filter?: string;
  /** Episodes replayed at once. */
  concurrency: number;
  /** How long each episode may run (see episodeAllowance); one still running then is terminated. */
  budget: EpisodeBudget;
  log?: (line: string) => void;
}

/**
 * An episode may take `baseSec`, plus `perStepSec` for each step MLGym recorded, plus twice the time
 * MLGym's own commands and evaluations of the run took, up to `maxSec`. A run that would need more
 * cannot end as recorded within the test's time: it is still replayed, last and for `baseSec` only,
 * to show that its first steps run.
 */
export interface EpisodeBudget {
  baseSec: number;
  perStepSec: number;
  maxSec: number;
}

/** Measured on 2 busy cores: the slowest run that can end as recorded needs about 480 s. */
export const DEFAULT_BUDGET: EpisodeBudget = { baseSec: 60, perStepSec: 5, maxSec: 720 };

export function episodeAllowance(run: Pick<PublishedRun, 'steps'>, budget: EpisodeBudget): { seconds: number; feasible: boolean } {
  const wanted = budget.baseSec + budget.perStepSec * run.steps.length + 2 * recordedSeconds(run);
  return wanted <= budget.maxSec ? { seconds: Math.ceil(wanted), feasible: true } : { seconds: budget.baseSec, feasible: false };
}

export interface ReplayReport {
  verdicts: RunVerdict[];
  /** Where our episodes' trajectories, outputs and results are (the harness's artifact store). */
  artifactsDir: string;
  matched: number;
  total: number;
  seconds: number;
}

export async function replayPublishedRuns(options: ReplayOptions): Promise<ReplayReport> {
  const log = options.log ?? (() => undefined);
  const checkout = options.checkout ?? SHARED_MLGYM_CHECKOUT;
  const runs = listPublishedRuns(checkout).filter((run) => !options.filter || run.folder.includes(options.filter));
  if (runs.length === 0) throw new Error(`no published run in ${checkout}/trajectories matches "${options.filter ?? ''}"`);
  const docker = ensureDocker();
  if (!docker.ok) throw new Error(`the replay needs Docker: ${docker.reason}`);

  const started = Date.now();
  // The worker's per-task INFO lines would bury the report; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const h = await startEpisodeHarness();
  let done = 0;
  try {
    // Longest first (by the time MLGym's commands and evaluations took), so that the last ones to
    // finish are short; runs that cannot end as recorded within the budget go last, so that they
    // take no CPU from the runs that can.
    const allowance = (run: PublishedRun) => episodeAllowance(run, options.budget);
    const order = [...runs].sort((a, b) => Number(allowance(b).feasible) - Number(allowance(a).feasible) || recordedSeconds(b) - recordedSeconds(a));
    const verdicts = await mapConcurrently(order, options.concurrency, async (run) => {
      const verdict = await replayRun(h, run, checkout, allowance(run).seconds);
      done += 1;
      log(`${done}/${runs.length} ${verdict.label}: ${verdict.match ? 'match' : `MISS (${verdict.why.join('; ')})`} in ${verdict.seconds.toFixed(0)} s`);
      return verdict;
    });
    verdicts.sort((a, b) => a.folder.localeCompare(b.folder));
    return {
      verdicts,
      artifactsDir: h.artifactsDir,
      matched: verdicts.filter((v) => v.match).length,
      total: verdicts.length,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await h.stop();
  }
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      results.push(await work(item));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** The task's priority metric: our task of the same id names it; otherwise the first metric MLGym recorded. */
function priorityMetric(run: PublishedRun): string {
  if (listTaskIds().includes(run.task)) return loadTask(run.task).config.metric.name;
  return Object.keys(run.scores.at(-1) ?? {})[0] ?? 'Score';
}

async function replayRun(h: EpisodeHarness, run: PublishedRun, checkout: string, timeoutSec: number): Promise<RunVerdict> {
  const started = Date.now();
  const metric = priorityMetric(run);
  const rebuilt = rebuildStarterFiles(run, checkout);
  let input: EpisodeInput | undefined;
  const verdict = (ours: OurOutcome, evaluations: EvaluationRecord[] = [], divergences: Divergence[] = []) =>
    judge({ run, episodeId: input?.episodeId, metric, ours, evaluations, divergences, rebuilt, seconds: (Date.now() - started) / 1000 });

  const tmp = materialiseCheckout(run, rebuilt, checkout);
  try {
    try {
      input = h.input({
        episodeId: `replay-${runLabel(run).replace(/[^\w.-]+/g, '-')}-${Date.now().toString(36)}`,
        taskFile: tmp.taskFile,
        runtime: 'docker',
        model: `replay:${run.trajPath}`,
        limits: MLGYM_BENCH_LIMITS,
      });
    } catch (err) {
      return verdict({ ended: 'import failed', failure: `import: ${messageChain(err)}` });
    }
    const outcome = await runWithDeadline(h, input, timeoutSec);
    const evaluations = await evaluationRecords(h, input.episodeId);
    if (outcome.kind === 'failed') return verdict({ ended: 'episode failed', failure: messageChain(outcome.error) }, evaluations);
    if (outcome.kind === 'deadline') {
      const where = outcome.status ? `; at step ${outcome.status.step}, last action ${JSON.stringify(outcome.status.lastAction?.slice(0, 60) ?? null)}` : '';
      const waiting = outcome.pending.length ? `; waiting for ${outcome.pending.join(', ')}` : '';
      const mlgym = `; MLGym's commands and evaluations took ${recordedSeconds(run).toFixed(0)} s`;
      return verdict(
        { ended: 'timed out', failure: `not finished within ${timeoutSec} s${where}${waiting}${mlgym}`, steps: outcome.status?.step },
        evaluations,
      );
    }
    const { result } = outcome;
    const ours: OurOutcome = { ended: 'finished', exitStatus: result.exitStatus, score: result.evaluations.at(-1)?.metrics[metric], steps: result.steps };
    return verdict(ours, evaluations, observationDivergences(run, readOurSteps(result.trajectoryPath), result.evaluations));
  } finally {
    if (input) await removeContainers(input.episodeId);
    tmp.remove();
    // The import lives under .mlgym/imported/, named after the temporary task file: nobody reuses it.
    if (input && path.dirname(input.taskDir) === path.join(STATE_DIR, 'imported')) rmSync(input.taskDir, { recursive: true, force: true });
  }
}

type EpisodeOutcome =
  { kind: 'done'; result: EpisodeResult } | { kind: 'failed'; error: unknown } | { kind: 'deadline'; status?: EpisodeStatus; pending: string[] };

async function runWithDeadline(h: EpisodeHarness, input: EpisodeInput, timeoutSec: number): Promise<EpisodeOutcome> {
  const handle = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutSec * 1000)));
  const finished = handle.result().then(
    (result): EpisodeOutcome => ({ kind: 'done', result }),
    (error: unknown): EpisodeOutcome => ({ kind: 'failed', error }),
  );
  const first = await Promise.race([finished, deadline]);
  clearTimeout(timer);
  if (first !== 'deadline') return first;
  const status = await handle.query(statusQuery).catch(() => undefined);
  const pending = await handle.describe().then(
    (d) => d.raw.pendingActivities ?? [],
    () => [],
  );
  await handle.terminate(`the replay allows ${timeoutSec} s per episode`);
  return {
    kind: 'deadline',
    status,
    // What the episode was waiting for: an activity that keeps failing is the usual cause.
    pending: pending.map(
      (a) =>
        `${a.activityType?.name ?? 'activity'} attempt ${a.attempt ?? 1}${a.lastFailure?.message ? ` (last failure: ${a.lastFailure.message.split('\n')[0]})` : ''}`,
    ),
  };
}

/** A failed or terminated episode tears nothing down: its sandbox and any evaluation container go here. */
async function removeContainers(episodeId: string): Promise<void> {
  await removeLabelled(`${LABELS.episode}=${episodeId}`);
  await removeLabelled(`${LABELS.evaluates}=${episodeId}`);
}

const OurTrajectory = z.looseObject({
  trajectory: z.array(z.looseObject({ step: z.number(), action: z.string(), observation: z.string() })),
});

function readOurSteps(trajectoryPath: string): OurStep[] {
  if (!existsSync(trajectoryPath)) return [];
  return OurTrajectory.parse(JSON.parse(readFileSync(trajectoryPath, 'utf8'))).trajectory;
}

const EvaluationResult = z.looseObject({ status: z.string(), message: z.string().default('') });

/** The episode's evaluations (validates and the final submission) with the wall time of their last attempt. */
async function evaluationRecords(h: EpisodeHarness, workflowId: string): Promise<EvaluationRecord[]> {
  const history = await h.env.client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .catch(() => undefined);
  const converter = h.env.client.options.loadedDataConverter.payloadConverter;
  const evaluations = new Set<string>();
  const startedAt = new Map<string, number>();
  const records: EvaluationRecord[] = [];
  for (const event of history?.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'evaluateSubmission') evaluations.add(String(event.eventId));
    const started = event.activityTaskStartedEventAttributes;
    if (started && evaluations.has(String(started.scheduledEventId))) startedAt.set(String(started.scheduledEventId), tsToMs(event.eventTime));
    const completed = event.activityTaskCompletedEventAttributes;
    const from = completed ? startedAt.get(String(completed.scheduledEventId)) : undefined;
    if (completed && from !== undefined) {
      const result = EvaluationResult.safeParse(fromPayloadsAtIndex(converter, 0, completed.result?.payloads));
      records.push({
        seconds: (tsToMs(event.eventTime) - from) / 1000,
        status: result.success ? result.data.status : 'unreadable',
        message: result.success ? result.data.message : '',
      });
    }
  }
  return records;
}

/** `message: cause: cause` of an error and its causes (Temporal wraps an activity's failure twice). */
function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message.split('\n')[0]);
  return parts.join(': ') || String(err);
}

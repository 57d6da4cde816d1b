import {
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SweepActivities } from '../activities/sweep';
import { rootCause } from '../lib/failures';
import { outcomeOf, type CellRecord, type SweepResult } from '../lib/sweep';
import { reportTasksOf } from '../lib/report/sweep-report';
import type { SweepPlan } from '../lib/sweep-spec';
import { cancelSignal } from '../lib/episode-messages';
import { extendSweepSignal, retryFailedSignal, sweepStatusQuery } from '../lib/sweep-messages';
import { episodeWorkflow } from './episode';
import { SweepBudgetGate } from '../lib/sweep-budget';
import { SweepCells } from '../lib/sweep-cells';
import { episodeStartOf } from '../lib/sweep-episode-start';
import { sweepOutcome, sweepStatus } from '../lib/sweep-status';
import { hostBaselineStart, hostBaselineTasks, type HostBaseline } from '../lib/host-baselines';
import type { EpisodeResult } from '../lib/episode';

/** What a sweep carries across continue-as-new: the cell table, nothing else. */
export interface SweepCarried {
  run: number;
  records: CellRecord[];
}

const { surveySweepCells, episodeCosts } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

const { writeSweepReport } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '5 minutes',
  // The report is a convenience (`mlgym sweep report` rebuilds it): a few tries, then the sweep ends anyway.
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

const { watchEpisodes } = proxyActivities<SweepActivities>({
  // Watches episodes that may run for days; the heartbeat detects a lost worker.
  startToCloseTimeout: '30 days',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * A sweep over tasks x models x runs. Each cell is an episode with an id derived from (sweep, task,
 * model, run); episodes are the source of truth, so a sweep started afresh (first launch, relaunch
 * after a terminate or a crash) first surveys them: finished cells are kept as they are, running
 * ones are watched (not restarted), only new cells start. Episodes are child workflows with
 * ParentClosePolicy ABANDON, so they outlive a terminated sweep. At most `concurrency` episodes
 * run at once; once finished plus running episodes have spent the budget, no new one starts. The
 * workflow continues-as-new with its compact cell table every `eventsPerRun` history events.
 */
export async function sweepWorkflow(plan: SweepPlan, carried?: SweepCarried): Promise<SweepResult> {
  let current = plan;
  const cells = carried ? SweepCells.carried(carried.records) : SweepCells.planned(plan);
  const budget = new SweepBudgetGate();
  let incoming: SweepPlan | undefined;
  let retryRequests = 0;
  let wake = false;
  let finished = false;
  const run = (carried?.run ?? 0) + 1;
  const { workflowId } = workflowInfo();
  const hostBaselines: Record<string, HostBaseline> = {};

  const budgetExhausted = () => budget.isExhausted(current.budgetUsd);
  const status = () => sweepStatus(current, cells, { workflowId, run, finished, budgetExhausted: budgetExhausted(), hostBaselines });

  setHandler(sweepStatusQuery, status);
  setHandler(extendSweepSignal, (next) => {
    incoming = next;
    wake = true;
  });
  setHandler(retryFailedSignal, () => {
    retryRequests += 1;
    wake = true;
  });

  /** News of an episode's end wakes the loop only when it changed the table (not for another attempt). */
  const wakeIf = (changed: boolean) => {
    if (changed) wake = true;
  };

  /** Awaits episodes this run did not start (or could not start because they exist) through an activity. */
  const watch = (cellIds: string[]) => {
    void (async () => {
      for (let episodes = cells.runningEpisodes(cellIds); episodes.length; episodes = cells.runningEpisodes(cellIds)) {
        const closed = await watchEpisodes({ episodes, maxTimeMinutes: current.maxTimeMinutes });
        for (const c of closed) wakeIf(cells.close(c));
      }
    })().catch((err: unknown) => log.error('watching episodes failed', { error: rootCause(err) }));
  };

  /** Awaits a child episode started by this run; enforces the wall-clock limit with a graceful cancel. */
  const follow = (child: ChildWorkflowHandle<typeof episodeWorkflow>, cellId: string) => {
    const episodeId = child.workflowId;
    const minutes = current.maxTimeMinutes;
    const timer = minutes === undefined ? undefined : new CancellationScope();
    if (timer && minutes !== undefined) {
      void timer
        .run(() => sleep(minutes * 60_000))
        .then(() => child.signal(cancelSignal, `time limit: ${minutes} minutes`))
        .catch(() => undefined);
    }
    void child
      .result()
      .then(
        (result) => wakeIf(cells.close({ cellId, episodeId, state: 'completed', costUsd: result.costUsd, outcome: outcomeOf(result) })),
        (err: unknown) => wakeIf(cells.closeFailedChild(cellId, episodeId, rootCause(err))),
      )
      .finally(() => timer?.cancel());
  };

  /** Starts the episode of a cell's new attempt; one that already exists is watched instead. */
  const startEpisode = async (cell: Readonly<CellRecord>) => {
    const episode = episodeStartOf(current, cell);
    if (!episode) return cells.fail(cell.id, `cell ${cell.id} is no longer in the sweep's spec`);
    try {
      const child = await startChild(episodeWorkflow, {
        workflowId: episode.episodeId,
        args: [episode.input],
        // Episodes outlive their sweep (terminated, cancelled or continued-as-new): a relaunch re-attaches.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        // Never run an id twice, even one that finished: a start that finds it is re-attached instead.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: episode.searchAttributes,
        staticSummary: episode.summary,
      });
      follow(child, cell.id);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return watch([cell.id]);
      cells.fail(cell.id, `could not start ${episode.episodeId}: ${rootCause(err)}`);
    }
  };

  /** Starts pending cells while fewer than `concurrency` run and the budget allows new episodes. */
  const startWhatFits = async () => {
    if (!cells.canStart(current.concurrency)) return;
    if (current.budgetUsd !== undefined) {
      if (budgetExhausted()) return;
      // The budget counts running episodes' spend so far.
      const episodeIds = cells.runningEpisodeIds();
      if (episodeIds.length) cells.setLiveCosts(await episodeCosts({ episodeIds }));
    }
    if (!budget.admits(current.budgetUsd, cells.costs().total)) {
      log.info('sweep budget reached: no new episodes start', { budgetUsd: current.budgetUsd });
      return;
    }
    // Started together: one workflow task for the whole batch keeps the history short.
    await Promise.all(cells.startNext(current.concurrency).map(startEpisode));
  };

  /** Reads the spend of failed children (a failure carries no result) from their episodes. */
  const lookUpFailedCosts = async () => {
    const lookups = cells.takeCostLookups();
    cells.addLookedUpCosts(lookups, await episodeCosts({ episodeIds: lookups.map((l) => l.episodeId) }));
  };

  const allDone = () => cells.allDone(budgetExhausted());

  if (carried) watch(cells.runningCellIds());

  for (;;) {
    wake = false;
    if (incoming) {
      current = incoming;
      cells.adopt(incoming);
      incoming = undefined;
    }
    if (cells.surveying) {
      watch(cells.applySurvey(await surveySweepCells({ cellIds: cells.toSurvey() })));
      continue;
    }
    if (retryRequests) {
      retryRequests = 0;
      cells.retryFailed(current);
    }
    if (cells.hasCostLookups) await lookUpFailedCosts();
    if (allDone() && !incoming && !retryRequests) break;
    const info = workflowInfo();
    if (info.historyLength >= current.eventsPerRun || info.continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (!incoming && !retryRequests) {
        log.info('sweep continues as new', { run, historyLength: info.historyLength });
        await continueAsNew<typeof sweepWorkflow>(current, { run, records: cells.list() });
      }
      continue;
    }
    await startWhatFits();
    if (allDone()) continue;
    await condition(() => wake);
  }

  // Sweeps recorded before host baselines end without measuring them (their histories must still replay).
  if (hostBaselineTasks(current).length && patched('host-baselines')) {
    await Promise.all(hostBaselineTasks(current).map(async (taskId) => (hostBaselines[taskId] = await measureHostBaseline(current, taskId))));
  }

  finished = true;
  const final = status();
  const outcome = sweepOutcome(final.counts);
  // Sweeps recorded before the report existed end without it (their histories must still replay).
  if (patched('sweep-report')) {
    try {
      await writeSweepReport({
        sweepId: current.name,
        tasks: reportTasksOf(current, hostBaselines),
        models: final.models,
        ...(current.budgetUsd !== undefined ? { budgetUsd: current.budgetUsd } : {}),
        status: { phase: final.phase, status: outcome, counts: final.counts, cells: final.cells },
      });
    } catch (err) {
      log.warn('the sweep report could not be written; `mlgym sweep report` rebuilds it', { error: rootCause(err) });
    }
  }
  return { ...final, status: outcome };
}

/**
 * Runs (or, for a relaunched sweep, awaits) the episode measuring a task's machine-dependent
 * baseline on the sweep's workers (lib/host-baselines.ts). A failed measurement is reported, not
 * fatal: the report then falls back to the task's declared baseline and says so.
 */
async function measureHostBaseline(plan: SweepPlan, taskId: string): Promise<HostBaseline> {
  const start = hostBaselineStart(plan, taskId)!;
  const { episodeId } = start;
  const scored = (exitStatus: string, score: Record<string, number> | undefined): HostBaseline =>
    exitStatus === 'submitted' && score
      ? { episodeId, state: 'measured', scores: score }
      : { episodeId, state: 'failed', error: `the starter ended ${exitStatus}` };
  try {
    const result: EpisodeResult = await executeChild(episodeWorkflow, {
      workflowId: episodeId,
      args: [start.input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: start.searchAttributes,
      staticSummary: start.summary,
    });
    return scored(result.exitStatus, result.score);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) return { episodeId, state: 'failed', error: rootCause(err) };
    for (;;) {
      const [closed] = await watchEpisodes({ episodes: [{ cellId: taskId, episodeId }] });
      if (!closed) continue;
      return closed.state === 'completed' && closed.outcome
        ? scored(closed.outcome.exitStatus, closed.outcome.score)
        : { episodeId, state: 'failed', error: closed.error ?? 'failed' };
    }
  }
}

import {
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
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
import type { EpisodeInput } from '../lib/episode';
import { rootCause } from '../lib/failures';
import { SA } from '../lib/search-attributes';
import {
  costTotals,
  countCells,
  episodeIdOf,
  outcomeOf,
  summarizeCell,
  type CellRecord,
  type CellSurvey,
  type ClosedEpisode,
  type SweepOutcomeStatus,
  type SweepResult,
  type SweepStatus,
} from '../lib/sweep';
import { reportTasksOf } from '../lib/report/sweep-report';
import { planCells, type SweepPlan } from '../lib/sweep-spec';
import { cancelSignal, episodeWorkflow } from './episode';

export const sweepStatusQuery = defineQuery<SweepStatus>('status');
/** Replaces the sweep's spec while it runs: new cells are surveyed then run; settings apply to new starts. */
export const extendSweepSignal = defineSignal<[SweepPlan]>('extend');
/** Re-runs every failed cell as a new attempt (a new episode id; the failed attempt stays in history). */
export const retryFailedSignal = defineSignal('retryFailed');

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
  let records = new Map<string, CellRecord>();
  const toSurvey = new Set<string>();
  /** Failed children whose spend must be read from the episode (a failure carries no result). */
  const costLookups = new Map<string, string>();
  let incoming: SweepPlan | undefined;
  let retryRequests = 0;
  let wake = false;
  let finished = false;
  /** The budget at which the spend was found to have reached it (the spend never goes down). */
  let exhaustedAt: number | undefined;
  const run = (carried?.run ?? 0) + 1;
  const { workflowId } = workflowInfo();

  const adopt = (next: SweepPlan) => {
    current = next;
    const merged = new Map<string, CellRecord>();
    for (const cell of planCells(next)) {
      const known = records.get(cell.id);
      if (known) merged.set(cell.id, known);
      else {
        merged.set(cell.id, { ...cell, state: 'pending', attempt: 0, closedCostUsd: 0, liveCostUsd: 0 });
        toSurvey.add(cell.id);
      }
    }
    // Cells dropped from the spec are forgotten unless they started (their spend and scores stay).
    for (const record of records.values()) if (!merged.has(record.id) && record.state !== 'pending') merged.set(record.id, record);
    for (const id of toSurvey) if (!merged.has(id)) toSurvey.delete(id);
    records = merged;
  };

  const budgetExhausted = () => current.budgetUsd !== undefined && exhaustedAt === current.budgetUsd;

  const status = (): SweepStatus => {
    const list = [...records.values()];
    const counts = countCells(list);
    const costs = costTotals(list);
    const exhausted = budgetExhausted();
    return {
      sweepId: current.name,
      workflowId,
      run,
      phase: finished ? 'done' : toSurvey.size ? 'surveying' : exhausted ? 'budget_exhausted' : 'running',
      concurrency: current.concurrency,
      counts,
      budget: {
        ...(current.budgetUsd !== undefined ? { limitUsd: current.budgetUsd } : {}),
        spentUsd: costs.total,
        exhausted,
        notStarted: exhausted ? counts.pending : 0,
        ...(exhausted
          ? {
              message: `budget of $${current.budgetUsd?.toFixed(2)} reached ($${costs.total.toFixed(4)} spent by finished and running episodes): no new episode starts; ${counts.pending} cell(s) not started`,
            }
          : {}),
      },
      costUsd: costs.total,
      costByModel: costs.byModel,
      costByTask: costs.byTask,
      models: current.models.map(({ key, model }) => ({ key, model })),
      cells: list.map(summarizeCell),
    };
  };

  setHandler(sweepStatusQuery, status);
  setHandler(extendSweepSignal, (next) => {
    incoming = next;
    wake = true;
  });
  setHandler(retryFailedSignal, () => {
    retryRequests += 1;
    wake = true;
  });

  /** Records the end of a cell's running attempt; ignores news about any other attempt. */
  const close = (cellId: string, episodeId: string, closed: Omit<ClosedEpisode, 'cellId' | 'episodeId'>) => {
    const record = records.get(cellId);
    if (!record || record.state !== 'running' || episodeIdOf(record) !== episodeId) return;
    record.state = closed.state;
    record.closedCostUsd += closed.costUsd;
    record.liveCostUsd = 0;
    record.outcome = closed.outcome;
    record.error = closed.error;
    wake = true;
  };

  /** Awaits episodes this run did not start (or could not start because they exist) through an activity. */
  const watch = (cellIds: string[]) => {
    const targets = () =>
      cellIds.flatMap((id) => {
        const record = records.get(id);
        return record?.state === 'running' ? [{ cellId: id, episodeId: episodeIdOf(record) }] : [];
      });
    void (async () => {
      for (let episodes = targets(); episodes.length; episodes = targets()) {
        const closed = await watchEpisodes({ episodes, maxTimeMinutes: current.maxTimeMinutes });
        for (const c of closed) close(c.cellId, c.episodeId, c);
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
        (result) => close(cellId, episodeId, { state: 'completed', costUsd: result.costUsd, outcome: outcomeOf(result) }),
        (err: unknown) => {
          costLookups.set(episodeId, cellId);
          close(cellId, episodeId, { state: 'failed', costUsd: 0, error: rootCause(err) });
        },
      )
      .finally(() => timer?.cancel());
  };

  const applySurvey = (surveys: CellSurvey[]) => {
    const running: string[] = [];
    for (const s of surveys) {
      toSurvey.delete(s.cellId);
      const record = records.get(s.cellId);
      if (!record) continue;
      record.attempt = s.attempt;
      record.closedCostUsd = s.closedCostUsd;
      record.liveCostUsd = s.liveCostUsd;
      record.outcome = s.outcome;
      record.error = s.error;
      record.state = s.state === 'new' ? 'pending' : s.state;
      if (s.state === 'running') running.push(s.cellId);
    }
    watch(running);
  };

  const retryFailed = () => {
    for (const record of records.values()) {
      const inSpec = current.tasks.some((t) => t.id === record.task) && current.models.some((m) => m.key === record.model);
      if (record.state !== 'failed' || !inSpec) continue;
      // The next start takes attempt + 1: a new episode id, the failed attempt stays visible.
      record.state = 'pending';
      record.error = undefined;
      record.outcome = undefined;
    }
  };

  const refreshLiveCosts = async () => {
    const running = [...records.values()].filter((r) => r.state === 'running');
    if (!running.length) return;
    const costs = await episodeCosts({ episodeIds: running.map(episodeIdOf) });
    for (const record of running) {
      const cost = costs[episodeIdOf(record)];
      if (record.state === 'running' && cost !== undefined) record.liveCostUsd = cost;
    }
  };

  const lookUpFailedCosts = async () => {
    const lookups = [...costLookups];
    costLookups.clear();
    const costs = await episodeCosts({ episodeIds: lookups.map(([episodeId]) => episodeId) });
    for (const [episodeId, cellId] of lookups) {
      const record = records.get(cellId);
      if (record) record.closedCostUsd += costs[episodeId] ?? 0;
    }
  };

  const startCell = async (record: CellRecord) => {
    const task = current.tasks.find((t) => t.id === record.task);
    const model = current.models.find((m) => m.key === record.model);
    record.attempt += 1;
    record.state = 'running';
    record.liveCostUsd = 0;
    const episodeId = episodeIdOf(record);
    if (!task || !model) {
      record.state = 'failed';
      record.error = `cell ${record.id} is no longer in the sweep's spec`;
      return;
    }
    const input: EpisodeInput = {
      episodeId,
      taskDir: task.dir,
      task: task.config,
      model: model.model,
      modelParams: model.params,
      runtime: current.runtime,
      limits: current.limits,
      sweepId: current.name,
      keepSandbox: false,
      ...(current.agent && { agent: current.agent }),
    };
    try {
      const child = await startChild(episodeWorkflow, {
        workflowId: episodeId,
        args: [input],
        // Episodes outlive their sweep (terminated, cancelled or continued-as-new): a relaunch re-attaches.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        // Never run an id twice, even one that finished: a start that finds it is re-attached instead.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: SA.sweep, value: current.name },
          { key: SA.task, value: task.id },
          { key: SA.model, value: model.model },
        ],
        staticSummary: `${task.id} with ${model.model}, run ${record.run}${record.attempt > 1 ? `, attempt ${record.attempt}` : ''} (sweep ${current.name})`,
      });
      follow(child, record.id);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        watch([record.id]);
        return;
      }
      record.state = 'failed';
      record.error = `could not start ${episodeId}: ${rootCause(err)}`;
    }
  };

  const startWhatFits = async () => {
    const running = () => countCells(records.values()).running;
    if (running() >= current.concurrency || ![...records.values()].some((r) => r.state === 'pending')) return;
    if (current.budgetUsd !== undefined) {
      if (budgetExhausted()) return;
      await refreshLiveCosts();
      if (costTotals(records.values()).total >= current.budgetUsd) {
        exhaustedAt = current.budgetUsd;
        log.info('sweep budget reached: no new episodes start', { budgetUsd: current.budgetUsd });
        return;
      }
    }
    exhaustedAt = undefined;
    const batch: CellRecord[] = [];
    // Counted once: counting per visited record made each wake O(cells^2), and a replay of a
    // 1,000-cell run (after a worker restart or a timed-out task) took longer than the task timeout.
    const runningNow = running();
    for (const record of records.values()) {
      if (runningNow + batch.length >= current.concurrency) break;
      if (record.state === 'pending') batch.push(record);
    }
    // Started together: one workflow task for the whole batch keeps the history short.
    await Promise.all(batch.map(startCell));
  };

  const allDone = () =>
    toSurvey.size === 0 &&
    [...records.values()].every((r) => r.state === 'completed' || r.state === 'failed' || (r.state === 'pending' && budgetExhausted()));

  if (carried) {
    for (const record of carried.records) records.set(record.id, record);
    watch(carried.records.filter((r) => r.state === 'running').map((r) => r.id));
  } else {
    adopt(plan);
  }

  for (;;) {
    wake = false;
    if (incoming) {
      adopt(incoming);
      incoming = undefined;
    }
    if (toSurvey.size) {
      applySurvey(await surveySweepCells({ cellIds: [...toSurvey] }));
      continue;
    }
    if (retryRequests) {
      retryRequests = 0;
      retryFailed();
    }
    if (costLookups.size) await lookUpFailedCosts();
    if (allDone() && !incoming && !retryRequests) break;
    const info = workflowInfo();
    if (info.historyLength >= current.eventsPerRun || info.continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (!incoming && !retryRequests) {
        log.info('sweep continues as new', { run, historyLength: info.historyLength });
        await continueAsNew<typeof sweepWorkflow>(current, { run, records: [...records.values()] });
      }
      continue;
    }
    await startWhatFits();
    if (allDone()) continue;
    await condition(() => wake);
  }

  finished = true;
  const final = status();
  const outcome: SweepOutcomeStatus = final.counts.pending > 0 ? 'budget_exhausted' : final.counts.failed > 0 ? 'completed_with_failures' : 'completed';
  // Sweeps recorded before the report existed end without it (their histories must still replay).
  if (patched('sweep-report')) {
    try {
      await writeSweepReport({
        sweepId: current.name,
        tasks: reportTasksOf(current),
        models: current.models.map(({ key, model }) => ({ key, model })),
        ...(current.budgetUsd !== undefined ? { budgetUsd: current.budgetUsd } : {}),
        status: { phase: final.phase, status: outcome, counts: final.counts, cells: final.cells },
      });
    } catch (err) {
      log.warn('the sweep report could not be written; `mlgym sweep report` rebuilds it', { error: rootCause(err) });
    }
  }
  return { ...final, status: outcome };
}

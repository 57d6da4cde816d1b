import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpisodeLimits, ModelParams } from '../../lib/episode';
import { SA } from '../../lib/search-attributes';
import { SweepBudgetGate } from '../../lib/sweep-budget';
import { SweepCells } from '../../lib/sweep-cells';
import { episodeStartOf } from '../../lib/sweep-episode-start';
import type { SweepPlan } from '../../lib/sweep-spec';
import { sweepOutcome, sweepStatus } from '../../lib/sweep-status';
import type { TaskConfig } from '../../lib/task-config';

const plan: SweepPlan = {
  name: 's',
  tasks: [{ id: 'a', dir: '/tasks/a', config: { id: 'a' } as TaskConfig }],
  models: [
    { key: 'm', model: 'openai:m', params: ModelParams.parse({}) },
    { key: 'n', model: 'anthropic:n', params: ModelParams.parse({ temperature: 1 }) },
  ],
  runs: 2,
  limits: EpisodeLimits.parse({ max_steps: 5 }),
  concurrency: 2,
  budgetUsd: 1,
  runtime: 'local',
  eventsPerRun: 5000,
};

/** A sweep of 4 cells after its survey: 2 running, 2 pending. */
function runningSweep() {
  const cells = SweepCells.planned(plan);
  cells.applySurvey(cells.toSurvey().map((cellId) => ({ cellId, state: 'new', attempt: 0, closedCostUsd: 0, liveCostUsd: 0 })));
  const started = cells.startNext(plan.concurrency);
  return { cells, started };
}
const self = { workflowId: 'sweep-s', run: 1, finished: false, budgetExhausted: false };

test('the status snapshot: phase, counts, spend by model and task, budget, cells', () => {
  const { cells, started } = runningSweep();
  assert.equal(sweepStatus(plan, SweepCells.planned(plan), self).phase, 'surveying');
  cells.setLiveCosts({ [started[0].id]: 0.25, [started[1].id]: 0.5 });
  const status = sweepStatus(plan, cells, self);
  assert.deepEqual(status, {
    sweepId: 's',
    workflowId: 'sweep-s',
    run: 1,
    phase: 'running',
    concurrency: 2,
    counts: { total: 4, pending: 2, running: 2, completed: 0, failed: 0 },
    budget: { limitUsd: 1, spentUsd: 0.75, exhausted: false, notStarted: 0 },
    costUsd: 0.75,
    costByModel: { m: 0.25, n: 0.5 },
    costByTask: { a: 0.75 },
    models: [
      { key: 'm', model: 'openai:m' },
      { key: 'n', model: 'anthropic:n' },
    ],
    cells: [
      { id: 's--a--m--r1', task: 'a', model: 'm', run: 1, state: 'running', attempt: 1, episodeId: 's--a--m--r1', costUsd: 0.25, liveCostUsd: 0.25 },
      { id: 's--a--n--r1', task: 'a', model: 'n', run: 1, state: 'running', attempt: 1, episodeId: 's--a--n--r1', costUsd: 0.5, liveCostUsd: 0.5 },
      { id: 's--a--m--r2', task: 'a', model: 'm', run: 2, state: 'pending', attempt: 0, costUsd: 0 },
      { id: 's--a--n--r2', task: 'a', model: 'n', run: 2, state: 'pending', attempt: 0, costUsd: 0 },
    ],
  });
});

test('budget exhaustion stops new starts and the status says why', () => {
  const { cells, started } = runningSweep();
  const budget = new SweepBudgetGate();
  cells.close({
    cellId: started[0].id,
    episodeId: started[0].id,
    state: 'completed',
    costUsd: 0.6,
    outcome: { exitStatus: 'submitted', costUsd: 0.6, steps: 2 },
  });
  cells.setLiveCosts({ [started[1].id]: 0.4 });
  assert.equal(cells.canStart(plan.concurrency), true, 'a slot is free and cells wait');
  assert.equal(budget.admits(plan.budgetUsd, cells.costs().total), false, 'finished plus running spend reached the budget');
  const status = sweepStatus(plan, cells, { ...self, budgetExhausted: budget.isExhausted(plan.budgetUsd) });
  assert.equal(status.phase, 'budget_exhausted');
  assert.equal(status.budget.notStarted, 2);
  assert.match(
    status.budget.message ?? '',
    /^budget of \$1\.00 reached \(\$1\.0000 spent by finished and running episodes\): no new episode starts; 2 cell\(s\) not started$/,
  );

  cells.close({ cellId: started[1].id, episodeId: started[1].id, state: 'failed', costUsd: 0.4, error: 'boom' });
  assert.equal(cells.allDone(true), true);
  const final = sweepStatus(plan, cells, { ...self, finished: true, budgetExhausted: true });
  assert.equal(final.phase, 'done');
  assert.equal(sweepOutcome(final.counts), 'budget_exhausted');
});

test('a finished sweep ends completed, or completed with failures', () => {
  const counts = { total: 2, pending: 0, running: 0, completed: 2, failed: 0 };
  assert.equal(sweepOutcome(counts), 'completed');
  assert.equal(sweepOutcome({ ...counts, completed: 1, failed: 1 }), 'completed_with_failures');
});

test("a cell's episode: input, search attributes and summary from the current plan", () => {
  const start = episodeStartOf(plan, { id: 's--a--n--r2', task: 'a', model: 'n', run: 2, attempt: 3 });
  assert.deepEqual(start, {
    episodeId: 's--a--n--r2--a3',
    input: {
      episodeId: 's--a--n--r2--a3',
      taskDir: '/tasks/a',
      task: { id: 'a' },
      model: 'anthropic:n',
      modelParams: plan.models[1].params,
      runtime: 'local',
      limits: plan.limits,
      sweepId: 's',
      keepSandbox: false,
    },
    searchAttributes: [
      { key: SA.sweep, value: 's' },
      { key: SA.task, value: 'a' },
      { key: SA.model, value: 'anthropic:n' },
    ],
    summary: 'a with anthropic:n, run 2, attempt 3 (sweep s)',
  });
  assert.equal(episodeStartOf(plan, { id: 's--a--m--r1', task: 'a', model: 'm', run: 1, attempt: 1 })?.summary, 'a with openai:m, run 1 (sweep s)');
  assert.equal(episodeStartOf(plan, { id: 's--b--m--r1', task: 'b', model: 'm', run: 1, attempt: 1 }), undefined, 'the task left the spec');
});

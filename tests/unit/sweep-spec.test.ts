import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeIssues } from '../../lib/task-config';
import { attemptId, modelSlug, planCells, SweepSpec } from '../../lib/sweep-spec';
import { costTotals, countCells, progressLine, type CellRecord } from '../../lib/sweep';

const errors = (spec: unknown) => {
  const parsed = SweepSpec.safeParse(spec);
  assert.equal(parsed.success, false);
  return describeIssues(parsed.error!);
};

test('a minimal spec gets defaults; model strings and objects both parse', () => {
  const spec = SweepSpec.parse({
    name: 'demo',
    tasks: ['blotto'],
    models: ['openai:gpt-4o', { model: 'anthropic:claude-sonnet-4-5', temperature: 0.5, id: 'sonnet' }],
  });
  assert.equal(spec.runs, 1);
  assert.equal(spec.concurrency, 2);
  assert.equal(spec.runtime, 'docker');
  assert.equal(spec.budget_usd, undefined);
  assert.equal(spec.limits.max_steps, 50);
  assert.equal(spec.limits.cost_limit_usd, 4);
  assert.equal(spec.limits.max_time_minutes, undefined);
  assert.deepEqual(spec.models[0], { model: 'openai:gpt-4o', temperature: 0, top_p: 0.95, max_output_tokens: 4096 });
  assert.equal(spec.models[1].temperature, 0.5);
});

test('errors name the field', () => {
  assert.match(errors({ name: 'bad name!', tasks: ['t'], models: ['openai:x'] }), /^name: /m);
  assert.match(errors({ name: 'n', tasks: [], models: ['openai:x'] }), /^tasks: name at least one task/m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x', { model: 'openai:y', temperature: 5 }] }), /^models\.1\.temperature: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: [{ model: 'openai:y', tempreature: 0 }] }), /^models\.0: .*tempreature/m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], limits: { max_steps: 0 } }), /^limits\.max_steps: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], limits: { max_time_minutes: -1 } }), /^limits\.max_time_minutes: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], concurrency: 0 }), /^concurrency: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], budget_usd: 0 }), /^budget_usd: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], runtime: 'k8s' }), /^runtime: /m);
  assert.match(errors({ name: 'n', tasks: ['t'], models: ['openai:x'], runz: 2 }), /runz/);
  assert.match(errors({ name: 'n', tasks: ['t', 't'], models: ['openai:x'] }), /^tasks\.1: "t" is listed twice/m);
});

test('two models with the same id are refused until one gets an explicit id', () => {
  assert.match(
    errors({ name: 'n', tasks: ['t'], models: ['openai:gpt-4o', { model: 'openai:gpt-4o', temperature: 1 }] }),
    /^models\.1: models\.0 and models\.1 both have the id "openai-gpt-4o"/m,
  );
  assert.ok(SweepSpec.safeParse({ name: 'n', tasks: ['t'], models: ['openai:gpt-4o', { model: 'openai:gpt-4o', temperature: 1, id: 'gpt-4o-t1' }] }).success);
});

test('cell and attempt ids derive from (sweep, task, model, run); cells are run-major', () => {
  assert.equal(modelSlug('openai:gpt-4o'), 'openai-gpt-4o');
  assert.equal(modelSlug('openai:llama3:8b'), 'openai-llama3-8b');
  assert.equal(modelSlug('replay:/tmp/runs/best.traj'), 'replay-best');
  const cells = planCells({ name: 's', tasks: [{ id: 'a' }, { id: 'b' }] as never, models: [{ key: 'm1' }, { key: 'm2' }] as never, runs: 2 });
  assert.equal(cells.length, 8);
  assert.deepEqual(
    cells.slice(0, 4).map((c) => c.id),
    ['s--a--m1--r1', 's--a--m2--r1', 's--b--m1--r1', 's--b--m2--r1'],
  );
  assert.equal(cells[4].run, 2);
  assert.equal(attemptId('s--a--m1--r1', 1), 's--a--m1--r1');
  assert.equal(attemptId('s--a--m1--r1', 3), 's--a--m1--r1--a3');
});

test('costs add closed attempts and the running attempt, per model and per task', () => {
  const record = (over: Partial<CellRecord>): CellRecord => ({
    id: 'x',
    task: 't',
    model: 'm',
    run: 1,
    state: 'completed',
    attempt: 1,
    closedCostUsd: 0,
    liveCostUsd: 0,
    ...over,
  });
  const records = [
    record({ closedCostUsd: 1 }),
    record({ model: 'n', state: 'running', closedCostUsd: 0.5, liveCostUsd: 0.25 }),
    record({ task: 'u', state: 'failed', closedCostUsd: 0.1, liveCostUsd: 9 }),
  ];
  const totals = costTotals(records);
  assert.equal(totals.total, 1.85);
  assert.deepEqual(totals.byModel, { m: 1.1, n: 0.75 });
  assert.deepEqual(totals.byTask, { t: 1.75, u: 0.1 });
  const counts = countCells(records);
  assert.deepEqual(counts, { total: 3, pending: 0, running: 1, completed: 1, failed: 1 });
  assert.match(
    progressLine({ counts, costUsd: 1.85, phase: 'running', cells: [], budget: { limitUsd: 2, spentUsd: 1.85, exhausted: false, notStarted: 0 } }),
    /^2\/3 done \(1 completed, 1 failed\), 1 running, 0 pending, spent \$1\.8500 of \$2\.00 budget$/,
  );
});

test('agent_config names an MLGym agent YAML (loaded relative to the spec by `sweep start`)', () => {
  const base = { name: 'n', tasks: ['t'], models: ['openai:x'] };
  assert.equal(SweepSpec.parse({ ...base, agent_config: '../mlgym/configs/agents/default.yaml' }).agent_config, '../mlgym/configs/agents/default.yaml');
  assert.equal(SweepSpec.parse(base).agent_config, undefined);
  assert.match(errors({ ...base, agent_config: 5 }), /^agent_config: /m);
  assert.match(errors({ ...base, agent_config: '' }), /^agent_config: /m);
});

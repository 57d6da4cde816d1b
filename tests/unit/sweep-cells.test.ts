import { test } from 'node:test';
import assert from 'node:assert/strict';
import { episodeIdOf, type CellRecord } from '../../lib/sweep';
import { SweepCells } from '../../lib/sweep-cells';
import type { SweepPlan } from '../../lib/sweep-spec';

/** The part of a plan the cell table reads: two tasks x one model, `runs` runs. */
const plan = (runs = 1, models = ['m']): Pick<SweepPlan, 'name' | 'tasks' | 'models' | 'runs'> => ({
  name: 's',
  tasks: [{ id: 'a' }, { id: 'b' }] as SweepPlan['tasks'],
  models: models.map((key) => ({ key })) as SweepPlan['models'],
  runs,
});

/** A table whose survey found no episode yet (a first launch). */
function surveyedAsNew(cells: SweepCells): SweepCells {
  cells.applySurvey(cells.toSurvey().map((cellId) => ({ cellId, state: 'new', attempt: 0, closedCostUsd: 0, liveCostUsd: 0 })));
  return cells;
}

const stateOf = (cells: SweepCells, id: string) => cells.list().find((r) => r.id === id);
const completed = (record: Pick<CellRecord, 'id' | 'attempt'>, costUsd = 0.5) =>
  ({ cellId: record.id, episodeId: episodeIdOf(record), state: 'completed', costUsd, outcome: { exitStatus: 'submitted', costUsd, steps: 1 } }) as const;

test('a new table surveys every cell before anything starts', () => {
  const cells = SweepCells.planned(plan(2));
  assert.equal(cells.surveying, true);
  assert.deepEqual(cells.toSurvey(), ['s--a--m--r1', 's--b--m--r1', 's--a--m--r2', 's--b--m--r2']);
  assert.equal(cells.allDone(false), false);
  surveyedAsNew(cells);
  assert.equal(cells.surveying, false);
  assert.deepEqual(cells.counts(), { total: 4, pending: 4, running: 0, completed: 0, failed: 0 });
});

test('cells start in table order (run-major), at most `concurrency` running', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan(2)));
  assert.equal(cells.canStart(2), true);
  const first = cells.startNext(2);
  assert.deepEqual(
    first.map((r) => [r.id, r.attempt, r.state]),
    [
      ['s--a--m--r1', 1, 'running'],
      ['s--b--m--r1', 1, 'running'],
    ],
  );
  assert.equal(cells.canStart(2), false);
  assert.deepEqual(cells.startNext(2), []);
  assert.deepEqual(cells.runningEpisodeIds(), ['s--a--m--r1', 's--b--m--r1']);

  assert.equal(cells.close(completed(first[0])), true);
  assert.deepEqual(
    cells.startNext(2).map((r) => r.id),
    ['s--a--m--r2'],
  );
  assert.deepEqual(cells.counts(), { total: 4, pending: 1, running: 2, completed: 1, failed: 0 });
});

test('the survey of a relaunch keeps finished cells and hands over running ones to watch', () => {
  const cells = SweepCells.planned(plan());
  const running = cells.applySurvey([
    { cellId: 's--a--m--r1', state: 'completed', attempt: 2, closedCostUsd: 0.3, liveCostUsd: 0, outcome: { exitStatus: 'submitted', costUsd: 0.2, steps: 3 } },
    { cellId: 's--b--m--r1', state: 'running', attempt: 1, closedCostUsd: 0, liveCostUsd: 0.1 },
  ]);
  assert.deepEqual(running, ['s--b--m--r1']);
  assert.deepEqual(cells.runningEpisodes(['s--a--m--r1', 's--b--m--r1']), [{ cellId: 's--b--m--r1', episodeId: 's--b--m--r1' }]);
  assert.equal(stateOf(cells, 's--a--m--r1')?.state, 'completed');
  assert.equal(cells.costs().total, 0.4);
  assert.equal(cells.canStart(4), false, 'nothing is pending');
});

test('the end of another attempt than the running one changes nothing', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan()));
  const [cell] = cells.startNext(1);
  assert.equal(cells.close({ ...completed(cell), episodeId: 's--a--m--r1--a2' }), false);
  assert.equal(cells.close({ ...completed(cell), cellId: 'unknown' }), false);
  assert.equal(stateOf(cells, cell.id)?.state, 'running');
  assert.equal(cells.close(completed(cell)), true);
  assert.equal(cells.close(completed(cell)), false, 'a cell closes once');
});

test('retryFailed turns failed cells still in the spec into new attempts with new episode ids', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan(1, ['m', 'n'])));
  const started = cells.startNext(4);
  assert.equal(started.length, 4);
  assert.equal(cells.closeFailedChild('s--a--m--r1', 's--a--m--r1', 'boom'), true);
  cells.fail('s--a--n--r1', 'could not start');
  cells.close(completed(started[2]));
  cells.close(completed(started[3]));
  assert.equal(stateOf(cells, 's--a--m--r1')?.error, 'boom');

  // A failed child's spend is read later: the lookup is taken once, then added to the cell.
  assert.equal(cells.hasCostLookups, true);
  const lookups = cells.takeCostLookups();
  assert.deepEqual(lookups, [{ cellId: 's--a--m--r1', episodeId: 's--a--m--r1' }]);
  assert.equal(cells.hasCostLookups, false);
  cells.addLookedUpCosts(lookups, { 's--a--m--r1': 0.25 });
  assert.equal(stateOf(cells, 's--a--m--r1')?.closedCostUsd, 0.25);

  // Model n left the spec: its failed cell stays failed.
  cells.retryFailed({ tasks: plan().tasks, models: plan().models });
  assert.deepEqual(
    cells.list().map((r) => [r.id, r.state]),
    [
      ['s--a--m--r1', 'pending'],
      ['s--a--n--r1', 'failed'],
      ['s--b--m--r1', 'completed'],
      ['s--b--n--r1', 'completed'],
    ],
  );
  assert.equal(stateOf(cells, 's--a--m--r1')?.error, undefined);
  const [retried] = cells.startNext(4);
  assert.equal(retried.attempt, 2);
  assert.equal(episodeIdOf(retried), 's--a--m--r1--a2');
  assert.equal(retried.closedCostUsd, 0.25, 'the failed attempt keeps its spend');
});

test('extending adds only new cells (to survey), keeps finished ones and forgets unstarted dropped ones', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan(1, ['m', 'n'])));
  const [first] = cells.startNext(1);
  cells.close(completed(first));
  // The new spec drops model n (never started) and adds a second run.
  cells.adopt(plan(2, ['m']));
  assert.deepEqual(cells.toSurvey(), ['s--a--m--r2', 's--b--m--r2']);
  assert.deepEqual(
    cells.list().map((r) => [r.id, r.state]),
    [
      ['s--a--m--r1', 'completed'],
      ['s--b--m--r1', 'pending'],
      ['s--a--m--r2', 'pending'],
      ['s--b--m--r2', 'pending'],
    ],
  );
  assert.equal(stateOf(cells, 's--a--m--r1')?.outcome?.exitStatus, 'submitted');

  // A dropped cell that started stays, with its spend.
  const [running] = cells.startNext(1);
  cells.adopt(plan(1, ['n']));
  assert.ok(cells.list().some((r) => r.id === running.id && r.state === 'running'));
  assert.deepEqual(cells.toSurvey(), ['s--a--n--r1', 's--b--n--r1'], 'cells dropped before their survey are not surveyed');
});

test('running episodes report their spend; other cells keep theirs', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan()));
  const [cell] = cells.startNext(1);
  cells.setLiveCosts({ [episodeIdOf(cell)]: 0.7, 's--b--m--r1': 9 });
  assert.equal(stateOf(cells, cell.id)?.liveCostUsd, 0.7);
  assert.equal(stateOf(cells, 's--b--m--r1')?.liveCostUsd, 0);
  assert.equal(cells.costs().total, 0.7);
});

test('the carried table resumes as it was: running cells are watched, pending ones left to start', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan()));
  cells.startNext(1);
  // What continue-as-new carries is the records as a payload (JSON).
  const records = JSON.parse(JSON.stringify(cells.list())) as CellRecord[];
  const carried = SweepCells.carried(records);
  assert.equal(carried.surveying, false);
  assert.deepEqual(carried.runningCellIds(), ['s--a--m--r1']);
  assert.deepEqual(carried.list(), records);
  assert.deepEqual(
    carried.startNext(2).map((r) => r.id),
    ['s--b--m--r1'],
  );
});

test('a sweep is done when every cell closed, or the budget left the rest unstarted', () => {
  const cells = surveyedAsNew(SweepCells.planned(plan()));
  const [cell] = cells.startNext(1);
  cells.close(completed(cell));
  assert.equal(cells.allDone(false), false);
  assert.equal(cells.allDone(true), true);
});

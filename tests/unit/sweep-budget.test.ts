import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetStatus, SweepBudgetGate } from '../../lib/sweep-budget';

test('the budget admits new starts until the spend reaches it, then stays shut', () => {
  const gate = new SweepBudgetGate();
  assert.equal(gate.admits(1, 0.99), true);
  assert.equal(gate.isExhausted(1), false);
  assert.equal(gate.admits(1, 1), false);
  assert.equal(gate.isExhausted(1), true);
});

test('a re-sent spec with another budget lifts the exhaustion until its spend is looked at again', () => {
  const gate = new SweepBudgetGate();
  gate.admits(1, 1.5);
  assert.equal(gate.isExhausted(2), false, 'a raised budget');
  assert.equal(gate.isExhausted(undefined), false, 'no budget');
  assert.equal(gate.admits(2, 1.5), true);
  assert.equal(gate.isExhausted(1), false, 'the new look cleared the old exhaustion');
  assert.equal(gate.admits(undefined, 1e9), true, 'without a budget anything goes');
});

test('an exhausted budget says why cells wait and how many', () => {
  assert.deepEqual(budgetStatus(1, 1.23456, true, 3), {
    limitUsd: 1,
    spentUsd: 1.23456,
    exhausted: true,
    notStarted: 3,
    message: 'budget of $1.00 reached ($1.2346 spent by finished and running episodes): no new episode starts; 3 cell(s) not started',
  });
  assert.deepEqual(budgetStatus(1, 0.5, false, 3), { limitUsd: 1, spentUsd: 0.5, exhausted: false, notStarted: 0 });
  assert.deepEqual(budgetStatus(undefined, 0.5, false, 3), { spentUsd: 0.5, exhausted: false, notStarted: 0 });
});

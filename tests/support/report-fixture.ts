import type { CellSummary, SweepCounts } from '../../lib/sweep';
import type { ReportInput } from '../../lib/report/sweep-report';

/**
 * A small synthetic sweep for the report tests: two tasks (one higher-is-better, one
 * lower-is-better), two models, two runs per cell, one failed episode and one not started.
 */
export function reportFixture(): ReportInput {
  const cell = (task: string, model: string, run: number, extra: Partial<CellSummary>): CellSummary => ({
    id: `demo--${task}--${model}--r${run}`,
    task,
    model,
    run,
    state: 'completed',
    attempt: 1,
    episodeId: `demo--${task}--${model}--r${run}`,
    costUsd: 0.5,
    ...extra,
  });
  const cells: CellSummary[] = [
    // acc (max): baseline 0.5
    cell('acc', 'alpha', 1, { exitStatus: 'submitted', score: { Accuracy: 0.6 }, bestScore: 0.7 }),
    cell('acc', 'alpha', 2, { exitStatus: 'submitted', score: { Accuracy: 0.65 }, bestScore: 0.66 }),
    cell('acc', 'beta', 1, { exitStatus: 'autosubmission (max_steps)', score: { Accuracy: 0.55 }, bestScore: 0.8 }),
    cell('acc', 'beta', 2, { state: 'failed', exitStatus: undefined, error: 'boom', costUsd: 0.25 }),
    // loss (min): baseline 2.0
    cell('loss', 'alpha', 1, { exitStatus: 'submitted', score: { Loss: 1.5 }, bestScore: 1.2 }),
    cell('loss', 'alpha', 2, { exitStatus: 'submitted', score: { Loss: 1.4 }, bestScore: 1.4 }),
    cell('loss', 'beta', 1, { exitStatus: 'submitted', score: { Loss: 2.5 }, bestScore: 1.9 }),
    cell('loss', 'beta', 2, { state: 'pending', attempt: 0, episodeId: undefined, exitStatus: undefined, costUsd: 0 }),
  ];
  const counts: SweepCounts = { total: 8, pending: 1, running: 0, completed: 6, failed: 1 };
  return {
    sweepId: 'demo',
    generatedAt: '2026-01-01T00:00:00.000Z',
    outcome: 'budget_exhausted',
    tasks: [
      { id: 'acc', name: 'Accuracy <task>', metric: { name: 'Accuracy', direction: 'max' }, baselineScores: [{ Accuracy: 0.5 }] },
      { id: 'loss', metric: { name: 'Loss', direction: 'min' }, baselineScores: [{ Loss: 2.0 }] },
    ],
    models: [
      { key: 'alpha', model: 'openai:alpha' },
      { key: 'beta', model: 'anthropic:beta' },
    ],
    cells,
    counts,
    budgetUsd: 3,
  };
}

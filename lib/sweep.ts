import type { EpisodeResult } from './episode';
import { attemptId } from './sweep-spec';
import type { HostBaseline } from './host-baselines';

/**
 * State of a sweep's cells, shared by the sweep workflow (which keeps it and carries it across
 * continue-as-new), its activities and the CLI. Compact on purpose: a 1,000-cell sweep carries
 * this table in one payload.
 */

export type CellState = 'pending' | 'running' | 'completed' | 'failed';

/** What the sweep keeps of a finished episode (the report needs scores, not transcripts). */
export interface CellOutcome {
  exitStatus: string;
  costUsd: number;
  steps: number;
  /** Metrics of the final evaluation (the submission), if any. */
  score?: Record<string, number>;
  /** Best priority-metric value over all validate/submit evaluations of the episode. */
  bestScore?: number;
}

export interface CellRecord {
  id: string;
  task: string;
  model: string;
  run: number;
  state: CellState;
  /** Latest attempt started (0 = never started). The episode id is attemptId(id, attempt). */
  attempt: number;
  /** USD spent by this cell's closed attempts (failed attempts included). */
  closedCostUsd: number;
  /** Last known USD of the running attempt. */
  liveCostUsd: number;
  outcome?: CellOutcome;
  error?: string;
}

export const episodeIdOf = (record: Pick<CellRecord, 'id' | 'attempt'>): string => attemptId(record.id, Math.max(1, record.attempt));

export function outcomeOf(result: EpisodeResult): CellOutcome {
  return {
    exitStatus: result.exitStatus,
    costUsd: result.costUsd,
    steps: result.steps,
    ...(result.score ? { score: result.score } : {}),
    ...(result.bestScore !== undefined ? { bestScore: result.bestScore } : {}),
  };
}

/** What the survey found for one cell: its latest attempt's state and the spend of all attempts. */
export interface CellSurvey {
  cellId: string;
  state: 'new' | 'running' | 'completed' | 'failed';
  /** Latest attempt found (0 when none). */
  attempt: number;
  /** USD spent by the closed attempts. */
  closedCostUsd: number;
  /** USD spent so far by the running attempt. */
  liveCostUsd: number;
  outcome?: CellOutcome;
  error?: string;
}

/** A watched episode that closed. */
export interface ClosedEpisode {
  cellId: string;
  episodeId: string;
  state: 'completed' | 'failed';
  costUsd: number;
  outcome?: CellOutcome;
  error?: string;
}

export interface CellSummary {
  id: string;
  task: string;
  model: string;
  run: number;
  state: CellState;
  attempt: number;
  episodeId?: string;
  /** USD of all attempts; for a running cell, with the last spend the sweep saw of its episode. */
  costUsd: number;
  /** Running cells: the part of costUsd that is the running episode's (last seen). */
  liveCostUsd?: number;
  exitStatus?: string;
  score?: Record<string, number>;
  bestScore?: number;
  error?: string;
  /** Running cells whose episode waits for a person (e.g. the provider rejected the key); set by the CLI. */
  blockedReason?: string;
}

export interface SweepCounts {
  total: number;
  pending: number;
  running: number;
  completed: number;
  failed: number;
}

export interface SweepBudget {
  limitUsd?: number;
  spentUsd: number;
  /** True once the spend reached the budget: no new episode starts. */
  exhausted: boolean;
  /** Cells left unstarted because of the budget. */
  notStarted: number;
  message?: string;
}

export type SweepPhase = 'surveying' | 'running' | 'budget_exhausted' | 'done';

export interface SweepStatus {
  sweepId: string;
  workflowId: string;
  /** Workflow run of this sweep (1 + continue-as-new count since the last start). */
  run: number;
  phase: SweepPhase;
  concurrency: number;
  counts: SweepCounts;
  budget: SweepBudget;
  /** USD: closed attempts plus the last known spend of running ones. */
  costUsd: number;
  costByModel: Record<string, number>;
  costByTask: Record<string, number>;
  models: { key: string; model: string }[];
  cells: CellSummary[];
  /** Per task: its machine-dependent baseline as the sweep measured it on its workers (lib/host-baselines.ts). */
  hostBaselines?: Record<string, HostBaseline>;
}

export type SweepOutcomeStatus = 'completed' | 'completed_with_failures' | 'budget_exhausted';

export interface SweepResult extends SweepStatus {
  status: SweepOutcomeStatus;
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

export const cellCost = (record: CellRecord): number => record.closedCostUsd + (record.state === 'running' ? record.liveCostUsd : 0);

export function summarizeCell(record: CellRecord): CellSummary {
  return {
    id: record.id,
    task: record.task,
    model: record.model,
    run: record.run,
    state: record.state,
    attempt: record.attempt,
    ...(record.attempt > 0 ? { episodeId: episodeIdOf(record) } : {}),
    costUsd: round(cellCost(record)),
    ...(record.state === 'running' ? { liveCostUsd: round(record.liveCostUsd) } : {}),
    ...(record.outcome
      ? {
          exitStatus: record.outcome.exitStatus,
          ...(record.outcome.score ? { score: record.outcome.score } : {}),
          ...(record.outcome.bestScore !== undefined ? { bestScore: record.outcome.bestScore } : {}),
        }
      : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

export function countCells(records: Iterable<CellRecord>): SweepCounts {
  const counts: SweepCounts = { total: 0, pending: 0, running: 0, completed: 0, failed: 0 };
  for (const record of records) {
    counts.total += 1;
    counts[record.state] += 1;
  }
  return counts;
}

export interface CostTotals {
  total: number;
  byModel: Record<string, number>;
  byTask: Record<string, number>;
}

/** Total, per-model and per-task spend of a list of cells. */
export function sumCosts(cells: Iterable<{ model: string; task: string; costUsd: number }>): CostTotals {
  let total = 0;
  const byModel: Record<string, number> = {};
  const byTask: Record<string, number> = {};
  for (const cell of cells) {
    total += cell.costUsd;
    byModel[cell.model] = (byModel[cell.model] ?? 0) + cell.costUsd;
    byTask[cell.task] = (byTask[cell.task] ?? 0) + cell.costUsd;
  }
  for (const key of Object.keys(byModel)) byModel[key] = round(byModel[key]);
  for (const key of Object.keys(byTask)) byTask[key] = round(byTask[key]);
  return { total: round(total), byModel, byTask };
}

export function costTotals(records: Iterable<CellRecord>): CostTotals {
  return sumCosts([...records].map((r) => ({ model: r.model, task: r.task, costUsd: cellCost(r) })));
}

/** One line for progress output: `3/8 done (1 failed), 2 running, 2 pending, $0.0123 of $1.00`. */
export function progressLine(status: Pick<SweepStatus, 'counts' | 'costUsd' | 'budget' | 'phase' | 'cells'>): string {
  const c = status.counts;
  const blocked = status.cells.filter((cell) => cell.state === 'running' && cell.blockedReason !== undefined).length;
  const budget = status.budget.limitUsd !== undefined ? ` of $${status.budget.limitUsd.toFixed(2)} budget` : '';
  const exhausted = status.budget.exhausted ? ` | ${status.budget.message ?? 'budget reached'}` : '';
  return `${c.completed + c.failed}/${c.total} done (${c.completed} completed, ${c.failed} failed), ${c.running} running${blocked ? ` (${blocked} blocked: see \`mlgym sweep status\`)` : ''}, ${c.pending} pending, spent $${status.costUsd.toFixed(4)}${budget}${exhausted}`;
}

import { summarizeCell, type SweepCounts, type SweepOutcomeStatus, type SweepPhase, type SweepStatus } from './sweep';
import { budgetStatus } from './sweep-budget';
import type { SweepCells } from './sweep-cells';
import type { SweepPlan } from './sweep-spec';
import type { HostBaseline } from './host-baselines';

/** What the sweep workflow knows of itself besides its plan and cells. */
export interface SweepRun {
  workflowId: string;
  /** 1 + continue-as-new count since the last start. */
  run: number;
  /** The loop ended: the result is being written. */
  finished: boolean;
  budgetExhausted: boolean;
  /** Machine-dependent baselines measured (or being measured) after the cells (lib/host-baselines.ts). */
  hostBaselines?: Record<string, HostBaseline>;
}

/** What the sweep's `status` query returns (and, with an outcome, its result). */
export function sweepStatus(plan: SweepPlan, cells: SweepCells, self: SweepRun): SweepStatus {
  const list = cells.list();
  const counts = cells.counts();
  const costs = cells.costs();
  return {
    sweepId: plan.name,
    workflowId: self.workflowId,
    run: self.run,
    phase: sweepPhase(self.finished, cells.surveying, self.budgetExhausted),
    concurrency: plan.concurrency,
    counts,
    budget: budgetStatus(plan.budgetUsd, costs.total, self.budgetExhausted, counts.pending),
    costUsd: costs.total,
    costByModel: costs.byModel,
    costByTask: costs.byTask,
    models: plan.models.map(({ key, model }) => ({ key, model })),
    cells: list.map(summarizeCell),
    ...(self.hostBaselines && Object.keys(self.hostBaselines).length ? { hostBaselines: self.hostBaselines } : {}),
  };
}

function sweepPhase(finished: boolean, surveying: boolean, budgetExhausted: boolean): SweepPhase {
  if (finished) return 'done';
  if (surveying) return 'surveying';
  return budgetExhausted ? 'budget_exhausted' : 'running';
}

/** How a finished sweep ended: cells left pending can only be the budget's doing. */
export function sweepOutcome(counts: SweepCounts): SweepOutcomeStatus {
  if (counts.pending > 0) return 'budget_exhausted';
  return counts.failed > 0 ? 'completed_with_failures' : 'completed';
}

/**
 * A sweep's report as data: per task, the baseline's and each model's best-attempt and
 * best-submission scores (MLGym's aggregation), the AUP table and performance profiles of both
 * score sets, cost per model and exit-status counts. Built from the sweep's status or result (each
 * cell carries its final evaluation and its best score) and the task configs (metric, direction,
 * baseline scores). Renderers in ./render.ts turn it into Markdown and a self-contained HTML page.
 *
 * Pure: no Node built-ins, no I/O, no clock (the caller passes the time).
 */
import { computeAup, type AupResult } from '../metrics/aup';
import type { ScoreTable } from '../metrics/score-table';
import { isBetter } from '../scores';
import type { CellSummary, SweepCounts } from '../sweep';
import type { Conditions, MetricDirection, TaskConfig } from '../task-config';
import { runSetupOf, type RunSetup } from '../task-scale';
import { measuredBaselineOf, type HostBaseline } from '../host-baselines';

/** What the report needs of a task. */
export interface ReportTask {
  id: string;
  name?: string;
  metric: { name: string; direction: MetricDirection };
  /** The task's baseline_scores (MLGym's first entry is the baseline). */
  baselineScores: Record<string, number>[];
  /** The scale, conditions and GPUs its episodes ran with (absent in sweeps started before scales). */
  setup?: RunSetup;
  /** Where the baseline comes from (MLGym's paper, measured here). */
  baselineSource?: string;
}

export interface ReportInput {
  sweepId: string;
  /** ISO time the report was made. */
  generatedAt: string;
  /** The sweep's outcome when it ended (completed, completed_with_failures, budget_exhausted), or its phase while it runs. */
  outcome: string;
  tasks: ReportTask[];
  models: { key: string; model: string }[];
  cells: CellSummary[];
  counts: SweepCounts;
  budgetUsd?: number;
}

export interface ModelTaskScores {
  bestAttempt: number | null;
  bestSubmission: number | null;
  /** Cells of this (task, model) whose episode completed / that were planned. */
  completedRuns: number;
  runs: number;
}

export interface TaskRow {
  task: string;
  name?: string;
  metric: string;
  direction: MetricDirection;
  baseline: number | null;
  baselineSource?: string;
  setup?: RunSetup;
  /** Per model key. */
  models: Record<string, ModelTaskScores>;
}

export interface ModelCost {
  key: string;
  model: string;
  costUsd: number;
  episodes: number;
  /** Mean USD per started episode. */
  meanCostUsd: number;
}

export interface SweepReport {
  sweepId: string;
  generatedAt: string;
  outcome: string;
  counts: SweepCounts;
  budgetUsd?: number;
  totalCostUsd: number;
  /** The method names of the score tables: the baseline first, then the models' keys. */
  baselineMethod: string;
  methods: string[];
  tasks: TaskRow[];
  bestAttempt: ScoreTable;
  bestSubmission: ScoreTable;
  /** MLGym's AUP over both tables; null when it cannot be computed (then `aupError` says why). */
  aup: AupResult | null;
  aupError?: string;
  costByModel: ModelCost[];
  /** Exit status of each cell's latest attempt ("failed" for an episode that failed, "running", "not_started"). */
  exitStatusCounts: Record<string, number>;
  exitStatusByModel: Record<string, Record<string, number>>;
}

const round6 = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The best of some values under a direction, or null when there is none. */
function bestOf(values: (number | undefined)[], direction: MetricDirection): number | null {
  let best: number | null = null;
  for (const value of values) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    if (best === null || isBetter(value, best, direction)) best = value;
  }
  return best;
}

export function exitStatusOf(cell: CellSummary): string {
  if (cell.state === 'failed') return 'failed';
  if (cell.state === 'pending') return 'not_started';
  if (cell.state === 'running') return 'running';
  return cell.exitStatus ?? 'completed';
}

export function buildSweepReport(input: ReportInput): SweepReport {
  const modelKeys = input.models.map((m) => m.key);
  const baselineMethod = modelKeys.includes('baseline') ? 'task baseline' : 'baseline';
  const methods = [baselineMethod, ...modelKeys];

  const tasks: TaskRow[] = input.tasks.map((task) => {
    const { name: metric, direction } = task.metric;
    const baselineValue = task.baselineScores[0]?.[metric];
    const models: Record<string, ModelTaskScores> = {};
    for (const key of modelKeys) {
      const cells = input.cells.filter((c) => c.task === task.id && c.model === key);
      const completed = cells.filter((c) => c.state === 'completed');
      // Best attempt: the best priority metric over every evaluation of every run (a run's bestScore,
      // or its final evaluation when it recorded no best). Best submission: the best final evaluation.
      const finals = completed.map((c) => c.score?.[metric]);
      models[key] = {
        bestAttempt: bestOf([...completed.map((c) => c.bestScore), ...finals], direction),
        bestSubmission: bestOf(finals, direction),
        completedRuns: completed.length,
        runs: cells.length,
      };
    }
    return {
      task: task.id,
      ...(task.name ? { name: task.name } : {}),
      metric,
      direction,
      baseline: typeof baselineValue === 'number' && Number.isFinite(baselineValue) ? baselineValue : null,
      ...(task.baselineSource !== undefined && { baselineSource: task.baselineSource }),
      ...(task.setup && { setup: task.setup }),
      models,
    };
  });

  const table = (pick: (scores: ModelTaskScores) => number | null): ScoreTable => ({
    corner: 'Task',
    methods,
    rows: tasks.map((row) => ({ task: row.task, scores: [row.baseline, ...modelKeys.map((key) => pick(row.models[key]))] })),
  });
  const bestAttempt = table((s) => s.bestAttempt);
  const bestSubmission = table((s) => s.bestSubmission);

  let aup: AupResult | null = null;
  let aupError: string | undefined;
  try {
    aup = computeAup({
      best: bestAttempt,
      last: bestSubmission,
      lowerIsBetter: tasks.filter((t) => t.direction === 'min').map((t) => t.task),
      baseline: baselineMethod,
    });
  } catch (err) {
    aupError = (err as Error).message;
  }

  const costByModel: ModelCost[] = input.models.map(({ key, model }) => {
    const cells = input.cells.filter((c) => c.model === key);
    const costUsd = round6(cells.reduce((sum, c) => sum + c.costUsd, 0));
    const episodes = cells.filter((c) => c.attempt > 0).length;
    return { key, model, costUsd, episodes, meanCostUsd: episodes ? round6(costUsd / episodes) : 0 };
  });

  const exitStatusCounts: Record<string, number> = {};
  const exitStatusByModel: Record<string, Record<string, number>> = Object.fromEntries(modelKeys.map((k) => [k, {}]));
  for (const cell of input.cells) {
    const status = exitStatusOf(cell);
    exitStatusCounts[status] = (exitStatusCounts[status] ?? 0) + 1;
    const byModel = (exitStatusByModel[cell.model] ??= {});
    byModel[status] = (byModel[status] ?? 0) + 1;
  }

  return {
    sweepId: input.sweepId,
    generatedAt: input.generatedAt,
    outcome: input.outcome,
    counts: input.counts,
    ...(input.budgetUsd !== undefined ? { budgetUsd: input.budgetUsd } : {}),
    totalCostUsd: round6(input.cells.reduce((sum, c) => sum + c.costUsd, 0)),
    baselineMethod,
    methods,
    tasks,
    bestAttempt,
    bestSubmission,
    aup,
    ...(aupError !== undefined ? { aupError } : {}),
    costByModel,
    exitStatusCounts,
    exitStatusByModel,
  };
}

/** Where a sweep's report lives in the artifact store. */
export const sweepReportKeys = (sweepId: string) => {
  const root = `sweeps/${sweepId}`;
  return { root, json: `${root}/report.json`, markdown: `${root}/report.md`, html: `${root}/report.html` };
};

/** The tasks of a sweep plan as the report needs them (small enough to hand to an activity). */
export function reportTasksOf(
  plan: {
    tasks: { id: string; config: Pick<TaskConfig, 'name' | 'metric' | 'baseline_scores'> & Partial<TaskConfig> }[];
    conditions?: Conditions;
  },
  hostBaselines: Record<string, HostBaseline> = {},
): ReportTask[] {
  return plan.tasks.map((t) => {
    // A machine-dependent baseline the sweep measured on its workers replaces the declared one.
    const measured = measuredBaselineOf(hostBaselines[t.id]);
    const source = measured?.source ?? t.config.baseline_source;
    return {
      id: t.id,
      ...(t.config.name ? { name: t.config.name } : {}),
      metric: t.config.metric,
      baselineScores: measured ? [measured.scores] : t.config.baseline_scores,
      ...(source !== undefined && { baselineSource: source }),
      ...setupOf(t.config as TaskConfig, plan.conditions),
    };
  });
}

/** Sweeps started before scales carry tasks without one: their setup is not stated. */
function setupOf(task: TaskConfig, conditions: Conditions | undefined): { setup?: RunSetup } {
  const setup = runSetupOf(task, conditions);
  return setup ? { setup } : {};
}

/** What a report is built from: the sweep's status or result, and its plan's tasks and models. */
export interface SweepReportSource {
  sweepId: string;
  tasks: ReportTask[];
  models: { key: string; model: string }[];
  budgetUsd?: number;
  status: { phase: string; status?: string; counts: SweepCounts; cells: CellSummary[] };
}

export function reportInputOf(source: SweepReportSource, generatedAt: string): ReportInput {
  return {
    sweepId: source.sweepId,
    generatedAt,
    outcome: source.status.status ?? (source.status.phase === 'done' ? 'done' : `in progress (${source.status.phase})`),
    tasks: source.tasks,
    models: source.models,
    cells: source.status.cells,
    counts: source.status.counts,
    ...(source.budgetUsd !== undefined ? { budgetUsd: source.budgetUsd } : {}),
  };
}

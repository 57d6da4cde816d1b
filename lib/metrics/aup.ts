/**
 * MLGym's aggregate metrics: performance ratios, performance profiles and the Area Under the
 * Performance profile (AUP), for "best attempt" scores (a model's best evaluation of a task over
 * runs and steps) and "best submission" scores (the best over runs of each run's final evaluation).
 * The method follows MLGym's published tables (COLM 2025, results/tables/) exactly:
 *
 * - Ratios, per task and per score set. A score is infeasible when it is negative or worse than the
 *   baseline method's score. Over the feasible scores, the ratio is best / score (higher is better)
 *   or score / best (lower is better), so the best method has ratio 1. An infeasible or missing
 *   score gets (1 + eps) x the task's worst feasible ratio.
 * - The tau range: tau_max = ceil(10 x log10(M)) / 10 where M is the maximum, over tasks and both
 *   score sets, of ceil((1 + eps) x worst feasible ratio); the grid is `points` equally spaced
 *   values of log10(tau) from 0 to tau_max (the last point exactly tau_max).
 * - A method's profile at log10(tau) = t is the fraction of tasks where log10(ratio) <= t; its AUP is
 *   the left Riemann sum of the profile over the grid.
 *
 * Cases where MLGym's code divides by zero, which its published data never reaches, are defined
 * here instead: a score of exactly 0 counts as infeasible (its ratio would be 0/0 or x/0), and a
 * task with no feasible score at all has worst ratio 1 (so every method gets 1 + eps there).
 *
 * Pure: no Node built-ins, so a workflow can aggregate a sweep deterministically.
 */
import type { ScoreTable } from './score-table';

export const DEFAULT_EPS = 0.05;
export const DEFAULT_POINTS = 500;
/** AUPs closer than this share a rank (identical profiles give identical sums; this absorbs rounding). */
const AUP_TIE_TOLERANCE = 1e-9;

/** Scores of the methods on one task; null (or absent, or NaN) is "no usable run". */
export type TaskScores = Readonly<Record<string, number | null | undefined>>;

/** Why a method has the ratio it has on a task. */
export type CellStatus = 'feasible' | 'infeasible' | 'missing';

export interface RatioOptions {
  lowerIsBetter: boolean;
  eps?: number;
  /** The method whose score bounds feasibility; null for none. It must be in `methods` unless null. */
  baseline?: string | null;
}

export interface TaskRatios {
  /** Performance ratio per method, >= 1; the best feasible method has 1. */
  ratios: Record<string, number>;
  status: Record<string, CellStatus>;
  /** The best feasible score, or null when no score is feasible. */
  best: number | null;
  /** The largest ratio among feasible scores (1 when none is feasible). */
  worstRatio: number;
  /** (1 + eps) x worstRatio: the ratio of infeasible and missing scores. */
  penaltyRatio: number;
  /** ceil(penaltyRatio): this task's bid for the top of the tau range. */
  tauCap: number;
}

/** Performance ratios of every method on one task. */
export function performanceRatios(scores: TaskScores, methods: readonly string[], options: RatioOptions): TaskRatios {
  const eps = checkEps(options.eps ?? DEFAULT_EPS);
  const baselineName = options.baseline === undefined ? 'baseline' : options.baseline;
  const valueOf = (method: string): number | null => {
    const value = Object.prototype.hasOwnProperty.call(scores, method) ? scores[method] : undefined;
    return typeof value === 'number' && !Number.isNaN(value) ? value : null;
  };
  if (baselineName !== null && !methods.includes(baselineName)) {
    throw new Error(`the baseline method "${baselineName}" is not among the methods (${methods.join(', ')})`);
  }
  // A missing baseline score bounds nothing (only negative scores are then infeasible).
  const baseline = baselineName === null ? null : valueOf(baselineName);
  const worse = (a: number, b: number) => (options.lowerIsBetter ? a > b : a < b);

  const status: Record<string, CellStatus> = {};
  const feasible: string[] = [];
  for (const method of methods) {
    const score = valueOf(method);
    if (score === null) status[method] = 'missing';
    else if (score <= 0 || (baseline !== null && worse(score, baseline))) status[method] = 'infeasible';
    else {
      status[method] = 'feasible';
      feasible.push(method);
    }
  }

  let best: number | null = null;
  for (const method of feasible) {
    const score = valueOf(method) as number;
    if (best === null || worse(best, score)) best = score;
  }
  const ratios: Record<string, number> = {};
  let worstRatio = 1;
  for (const method of feasible) {
    const score = valueOf(method) as number;
    const ratio = options.lowerIsBetter ? score / (best as number) : (best as number) / score;
    ratios[method] = ratio;
    if (ratio > worstRatio) worstRatio = ratio;
  }
  const penaltyRatio = worstRatio * (1 + eps);
  for (const method of methods) if (status[method] !== 'feasible') ratios[method] = penaltyRatio;
  return { ratios, status, best, worstRatio, penaltyRatio, tauCap: Math.ceil(penaltyRatio) };
}

/** log10(tau_max) as MLGym rounds it: up to one decimal, from the largest tau cap. */
export function logTauMax(tauCaps: readonly number[]): number {
  if (tauCaps.length === 0) throw new Error('no tasks: the tau range is undefined');
  return Math.ceil(Math.log10(Math.max(...tauCaps)) * 10) / 10;
}

/** `points` equally spaced values from 0 to `end` inclusive (numpy.linspace's arithmetic). */
export function tauGrid(end: number, points: number = DEFAULT_POINTS): number[] {
  if (!Number.isInteger(points) || points < 2) throw new Error(`the tau grid needs an integer number of points >= 2, got ${points}`);
  const step = end / (points - 1);
  const grid = Array.from({ length: points }, (_, i) => i * step);
  grid[points - 1] = end;
  return grid;
}

/**
 * Performance profiles: for each method, at each grid point t (a log10 tau), the fraction of tasks
 * whose ratio r has log10(r) <= t.
 */
export function performanceProfile(
  taskRatios: readonly Readonly<Record<string, number>>[],
  methods: readonly string[],
  logTaus: readonly number[],
): Record<string, number[]> {
  const profiles: [string, number[]][] = methods.map((method) => {
    const logRatios = taskRatios.map((ratios, i) => {
      const ratio = ratios[method];
      if (typeof ratio !== 'number' || Number.isNaN(ratio)) throw new Error(`task ${i} has no ratio for method "${method}"`);
      return Math.log10(ratio);
    });
    return [method, logTaus.map((t) => (taskRatios.length === 0 ? 0 : logRatios.filter((r) => r <= t).length / taskRatios.length))];
  });
  return Object.fromEntries(profiles);
}

/** Area under a step profile: the left Riemann sum over the grid. */
export function areaUnderProfile(profile: readonly number[], logTaus: readonly number[]): number {
  if (profile.length !== logTaus.length) throw new Error(`a profile of ${profile.length} values on a grid of ${logTaus.length} points`);
  let area = 0;
  for (let i = 0; i + 1 < logTaus.length; i++) area += (logTaus[i + 1] - logTaus[i]) * profile[i];
  return area;
}

/**
 * Competition ranks ("1224"): rank 1 is the best; equal values share the best rank of their group.
 * `better(a, b)` is true when a ranks ahead of b; `same(a, b)` when they tie.
 */
export function competitionRanks<T>(
  entries: readonly (readonly [string, T])[],
  better: (a: T, b: T) => boolean,
  same: (a: T, b: T) => boolean,
): Record<string, number> {
  return Object.fromEntries(entries.map(([name, value]) => [name, 1 + entries.filter(([, other]) => !same(other, value) && better(other, value)).length]));
}

export interface ScoreSetResult {
  /** Per task (table order), the ratios of every method. */
  tasks: ({ task: string } & TaskRatios)[];
  /** Per method, the profile value at each point of the tau grid. */
  profiles: Record<string, number[]>;
  aup: Record<string, number>;
  /** Rank of each method by AUP (1 = largest; ties share a rank). */
  aupRanks: Record<string, number>;
  /**
   * Rank of each method on each task by raw score (1 = best, ties share a rank, missing scores all
   * come after every scored method), as in MLGym's rank tables; and each method's mean over tasks.
   */
  taskRanks: Record<string, Record<string, number>>;
  meanTaskRank: Record<string, number>;
}

export interface MethodSummary {
  method: string;
  bestAttemptAup: number;
  bestSubmissionAup: number;
  ranks: {
    /** By best-attempt AUP. */
    bestAttempt: number;
    /** By best-submission AUP. */
    bestSubmission: number;
    /** Mean over tasks of the per-task rank by best-attempt score. */
    meanTaskBestAttempt: number;
    /** Mean over tasks of the per-task rank by best-submission score. */
    meanTaskBestSubmission: number;
  };
}

export interface AupResult {
  eps: number;
  points: number;
  methods: string[];
  tasks: string[];
  lowerIsBetter: string[];
  baseline: string | null;
  /** ceil(10 x log10(max tau cap)) / 10. */
  logTauMax: number;
  /** The grid of log10(tau) values the profiles are sampled on. */
  logTauGrid: number[];
  bestAttempt: ScoreSetResult;
  bestSubmission: ScoreSetResult;
  /** One entry per method, in table order. */
  summary: MethodSummary[];
}

export interface AupInput {
  /** Best-attempt scores (MLGym's best_scores table). */
  best: ScoreTable;
  /** Best-submission scores (MLGym's last_scores table): the same tasks and methods. */
  last: ScoreTable;
  /** Names of the tasks whose metric is lower-is-better; each must be a task of the tables. */
  lowerIsBetter?: Iterable<string>;
  eps?: number;
  points?: number;
  /** The method that bounds feasibility (default "baseline"); null for none. */
  baseline?: string | null;
}

/** Both sets of MLGym aggregate metrics from a best-attempt and a best-submission table. */
export function computeAup(input: AupInput): AupResult {
  const eps = checkEps(input.eps ?? DEFAULT_EPS);
  const points = input.points ?? DEFAULT_POINTS;
  const baseline = input.baseline === undefined ? 'baseline' : input.baseline;
  const { best, last } = input;
  const methods = [...best.methods];
  const tasks = best.rows.map((row) => row.task);
  checkSameShape(best, last);
  if (tasks.length === 0) throw new Error('the score tables have no tasks');
  const lowerIsBetter = [...new Set(input.lowerIsBetter ?? [])];
  const unknown = lowerIsBetter.filter((task) => !tasks.includes(task));
  if (unknown.length)
    throw new Error(
      `lower-is-better task${unknown.length > 1 ? 's' : ''} not in the tables: ${unknown.map((t) => `"${t}"`).join(', ')} (tasks: ${tasks.join(', ')})`,
    );
  const lower = new Set(lowerIsBetter);

  const ratiosOf = (table: ScoreTable) =>
    tasks.map((task) => ({ task, ...performanceRatios(rowScores(table, task), methods, { lowerIsBetter: lower.has(task), eps, baseline }) }));
  const bestRatios = ratiosOf(best);
  const lastRatios = ratiosOf(last);
  const logMax = logTauMax([...bestRatios, ...lastRatios].map((r) => r.tauCap));
  const grid = tauGrid(logMax, points);

  const scoreSet = (table: ScoreTable, taskRatios: ({ task: string } & TaskRatios)[]): ScoreSetResult => {
    const profiles = performanceProfile(
      taskRatios.map((r) => r.ratios),
      methods,
      grid,
    );
    const aup = Object.fromEntries(methods.map((m) => [m, areaUnderProfile(profiles[m], grid)]));
    const aupRanks = competitionRanks(
      methods.map((m) => [m, aup[m]] as const),
      (a, b) => a > b,
      (a, b) => Math.abs(a - b) <= AUP_TIE_TOLERANCE,
    );
    const taskRanks = Object.fromEntries(tasks.map((task) => [task, rankTask(rowScores(table, task), methods, lower.has(task))]));
    const meanTaskRank = Object.fromEntries(methods.map((m) => [m, tasks.reduce((sum, task) => sum + taskRanks[task][m], 0) / tasks.length]));
    return { tasks: taskRatios, profiles, aup, aupRanks, taskRanks, meanTaskRank };
  };
  const bestAttempt = scoreSet(best, bestRatios);
  const bestSubmission = scoreSet(last, lastRatios);
  const summary = methods.map((method) => ({
    method,
    bestAttemptAup: bestAttempt.aup[method],
    bestSubmissionAup: bestSubmission.aup[method],
    ranks: {
      bestAttempt: bestAttempt.aupRanks[method],
      bestSubmission: bestSubmission.aupRanks[method],
      meanTaskBestAttempt: bestAttempt.meanTaskRank[method],
      meanTaskBestSubmission: bestSubmission.meanTaskRank[method],
    },
  }));
  return { eps, points, methods, tasks, lowerIsBetter, baseline, logTauMax: logMax, logTauGrid: grid, bestAttempt, bestSubmission, summary };
}

/** Ranks of methods on one task by raw score; methods without a score share the rank after the last scored one. */
function rankTask(scores: TaskScores, methods: readonly string[], lowerIsBetter: boolean): Record<string, number> {
  const scored = methods.filter((m) => typeof scores[m] === 'number' && !Number.isNaN(scores[m]));
  const ranks = competitionRanks(
    scored.map((m) => [m, scores[m] as number] as const),
    (a, b) => (lowerIsBetter ? a < b : a > b),
    (a, b) => a === b,
  );
  return Object.fromEntries(methods.map((m) => [m, ranks[m] ?? scored.length + 1]));
}

function rowScores(table: ScoreTable, task: string): TaskScores {
  const row = table.rows.find((r) => r.task === task);
  if (!row) throw new Error(`task "${task}" is missing from a score table`);
  return Object.fromEntries(table.methods.map((method, j) => [method, row.scores[j]]));
}

function checkSameShape(best: ScoreTable, last: ScoreTable): void {
  const describe = (names: readonly string[], other: readonly string[]) =>
    names
      .filter((n) => !other.includes(n))
      .map((n) => `"${n}"`)
      .join(', ');
  const bestTasks = best.rows.map((r) => r.task);
  const lastTasks = last.rows.map((r) => r.task);
  const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
  if (!sameSet(best.methods, last.methods)) {
    throw new Error(
      `the best and last tables differ in methods (only in best: ${describe(best.methods, last.methods) || 'none'}; only in last: ${describe(last.methods, best.methods) || 'none'})`,
    );
  }
  if (!sameSet(bestTasks, lastTasks)) {
    throw new Error(
      `the best and last tables differ in tasks (only in best: ${describe(bestTasks, lastTasks) || 'none'}; only in last: ${describe(lastTasks, bestTasks) || 'none'})`,
    );
  }
}

function checkEps(eps: number): number {
  if (!Number.isFinite(eps) || eps < 0) throw new Error(`eps must be a finite number >= 0, got ${eps}`);
  return eps;
}

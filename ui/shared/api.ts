/**
 * What the viewer's server answers and the browser reads: one schema per payload, the types derived
 * from them. The browser parses every answer with these, so a server and a page of different
 * versions fail with a named field instead of a blank page.
 */
import { z } from 'zod';

const Scores = z.record(z.string(), z.number());
export type Scores = z.infer<typeof Scores>;

/** Filters of the run list; every one is optional and they combine with AND. */
export const RunFilters = z
  .object({
    task: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    sweep: z.string().min(1).optional(),
    /** A phase (`running`, `blocked`, ...) or an exit status (`submitted`, `autosubmission (max_steps)`, ...). */
    status: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    /** Free text: matches the start of the episode id, task, model, sweep or host. */
    q: z.string().min(1).max(200).optional(),
  })
  .strict();
export type RunFilters = z.infer<typeof RunFilters>;

/** Every list answers a page at a time, newest first. */
const Paging = {
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  /** The opaque cursor of the previous answer's `nextPage`. */
  page: z.string().min(1).optional(),
};

/** A page of a list: its rows, how many match over all pages, and the cursor of the next page. */
const pageOf = <Row extends z.ZodType>(row: Row) => z.object({ rows: z.array(row), total: z.number(), nextPage: z.string().optional() });

export const RunListQuery = RunFilters.extend(Paging).strict();
export type RunListQuery = z.infer<typeof RunListQuery>;

export const RunRow = z.object({
  episodeId: z.string(),
  task: z.string(),
  model: z.string(),
  sweep: z.string().optional(),
  /** The phase while running, the exit status once done, the workflow's status if it failed. */
  status: z.string(),
  running: z.boolean(),
  exitStatus: z.string().optional(),
  bestScore: z.number().optional(),
  /** The headline metric of the last test-split evaluation. */
  lastScore: z.number().optional(),
  baseline: z.number().optional(),
  steps: z.number(),
  costUsd: z.number(),
  host: z.string().optional(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
  durationSec: z.number(),
});
export type RunRow = z.infer<typeof RunRow>;

export const RunList = pageOf(RunRow);
export type RunList = z.infer<typeof RunList>;

/** One step as the episode page shows it: the model's reply, the command and what came back. */
export const StepView = z.object({
  step: z.number(),
  thought: z.string(),
  action: z.string(),
  /** What the model was shown (long outputs cut in the middle); the full output is `outputUrl`. */
  observation: z.string().optional(),
  outputUrl: z.string().optional(),
  outputBytes: z.number().optional(),
  executionSec: z.number().optional(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  costUsd: z.number().optional(),
  /** Replies that failed to parse before this step's action, as the model was told. */
  formatErrors: z.number().optional(),
  evaluation: z.object({ kind: z.enum(['validate', 'submit']), metrics: Scores, split: z.enum(['test', 'validation']).optional() }).optional(),
  /** The step's activities in the Temporal UI. */
  temporalUrl: z.string().optional(),
});
export type StepView = z.infer<typeof StepView>;

export const MetricView = z.object({ name: z.string(), higherIsBetter: z.boolean() });
export type MetricView = z.infer<typeof MetricView>;

/** The command running now, from its activity's last heartbeat. */
export const RunningCommand = z.object({
  step: z.number().optional(),
  command: z.string().optional(),
  elapsedSec: z.number().optional(),
  outputBytes: z.number().optional(),
  lastLine: z.string().optional(),
});
export type RunningCommand = z.infer<typeof RunningCommand>;

export const EpisodeView = z.object({
  summary: RunRow,
  /** `temporal` for our episodes, `mlgym` for a published MLGym run read from its folder. */
  source: z.enum(['temporal', 'mlgym']),
  metrics: z.array(MetricView),
  baseline: Scores.optional(),
  limits: z.object({ maxSteps: z.number().optional(), costLimitUsd: z.number().optional(), contextTokens: z.number().optional() }),
  setup: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(StepView),
  phase: z.string().optional(),
  blockedReason: z.string().optional(),
  runningCommand: RunningCommand.optional(),
  temporalUrl: z.string().optional(),
});
export type EpisodeView = z.infer<typeof EpisodeView>;

/**
 * What the live stream of an episode page (server-sent events) sends as `update`: the new steps and
 * the state, every time either moves. `end` (data: the workflow's status) follows once the episode
 * closed; `failure` (data: an ApiError) when the server could not go on following it.
 */
export const LiveUpdate = z.object({
  steps: z.array(StepView),
  summary: RunRow,
  phase: z.string().optional(),
  blockedReason: z.string().optional(),
  runningCommand: RunningCommand.optional(),
});
export type LiveUpdate = z.infer<typeof LiveUpdate>;

export const ApiError = z.object({ error: z.string() });
export type ApiError = z.infer<typeof ApiError>;

export const SweepListQuery = z
  .object({
    /** Matches the start of the sweep's name or id. */
    q: z.string().min(1).max(200).optional(),
    ...Paging,
  })
  .strict();
export type SweepListQuery = z.infer<typeof SweepListQuery>;

/** One sweep in the sweep list, from Temporal's visibility store. */
export const SweepRow = z.object({
  sweepId: z.string(),
  workflowId: z.string(),
  /** The workflow's status: running, completed, failed, ... */
  status: z.string(),
  running: z.boolean(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
});
export type SweepRow = z.infer<typeof SweepRow>;

export const SweepList = pageOf(SweepRow);
export type SweepList = z.infer<typeof SweepList>;

export const SweepCell = z.object({
  id: z.string(),
  task: z.string(),
  /** The model's key in the sweep (its methods' name in the AUP tables). */
  modelKey: z.string(),
  model: z.string(),
  run: z.number(),
  /** pending, running, completed, failed. */
  state: z.string(),
  attempt: z.number(),
  episodeId: z.string().optional(),
  exitStatus: z.string().optional(),
  bestScore: z.number().optional(),
  costUsd: z.number(),
  error: z.string().optional(),
  blockedReason: z.string().optional(),
});
export type SweepCell = z.infer<typeof SweepCell>;

const ModelTaskScores = z.object({
  /** MLGym's best attempt (best of every evaluation) and best submission (its last score). */
  bestAttempt: z.number().nullable(),
  bestSubmission: z.number().nullable(),
  completedRuns: z.number(),
  runs: z.number(),
});

export const SweepTask = z.object({
  task: z.string(),
  name: z.string().optional(),
  metric: z.string(),
  direction: z.enum(['max', 'min']),
  baseline: z.number().nullable(),
  baselineSource: z.string().optional(),
  setup: z.record(z.string(), z.unknown()).optional(),
  /** Per model key. */
  models: z.record(z.string(), ModelTaskScores),
});
export type SweepTask = z.infer<typeof SweepTask>;

export const SweepView = z.object({
  sweepId: z.string(),
  workflowId: z.string(),
  workflowStatus: z.string(),
  running: z.boolean(),
  /** surveying, running, budget_exhausted, done; absent when no worker answered. */
  phase: z.string().optional(),
  /** The report's outcome: the sweep's phase while it runs, its outcome once done. */
  outcome: z.string(),
  models: z.array(z.object({ key: z.string(), model: z.string() })),
  tasks: z.array(SweepTask),
  cells: z.array(SweepCell),
  counts: z.object({ total: z.number(), pending: z.number(), running: z.number(), completed: z.number(), failed: z.number() }),
  budget: z.object({
    limitUsd: z.number().optional(),
    spentUsd: z.number(),
    exhausted: z.boolean(),
    notStarted: z.number(),
    message: z.string().optional(),
  }),
  costUsd: z.number(),
  costByModel: z.array(z.object({ key: z.string(), model: z.string(), costUsd: z.number(), episodes: z.number(), meanCostUsd: z.number() })),
  /** Exit status of each cell's latest attempt (`failed`, `running`, `not_started` too), over all models and per model key. */
  exitStatusCounts: z.record(z.string(), z.number()),
  exitStatusByModel: z.record(z.string(), z.record(z.string(), z.number())),
  /** MLGym's AUP per method (the baseline and each model key); null when it cannot be computed (`aupError` says why). */
  aup: z.array(z.object({ method: z.string(), bestAttemptAup: z.number(), bestSubmissionAup: z.number() })).nullable(),
  aupError: z.string().optional(),
  /** The sweep report's HTML (AUP table and performance profiles), relative to the viewer. */
  reportUrl: z.string(),
  temporalUrl: z.string(),
});
export type SweepView = z.infer<typeof SweepView>;

/** `mlgym ui --mlgym-dir`: MLGym's own runs, each shown as an episode (`source: mlgym`). */
export const MlgymRunList = z.object({
  /** The folder read, or absent when the viewer was started without one. */
  dir: z.string().optional(),
  rows: z.array(RunRow),
  /** Folders that are not MLGym runs or do not read, with why. */
  skipped: z.array(z.object({ folder: z.string(), reason: z.string() })),
});
export type MlgymRunList = z.infer<typeof MlgymRunList>;

/**
 * `mlgym ui export <sweep> --out DIR`: the sweep's pages as one file. The app finds this object at
 * `window.__MLGYM_STATIC__` and answers every call from it instead of a server.
 */
export const StaticExport = z.object({
  kind: z.literal('sweep-export'),
  generatedAt: z.string(),
  sweep: SweepView,
  /** Every episode of the sweep's cells, by id (steps without their full outputs). */
  episodes: z.record(z.string(), EpisodeView),
  /** The run list of the export: one row per episode. */
  runs: z.array(RunRow),
});
export type StaticExport = z.infer<typeof StaticExport>;

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

export const RunListQuery = RunFilters.extend({
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  /** The opaque cursor of the previous answer's `nextPage`. */
  page: z.string().min(1).optional(),
}).strict();
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

export const RunList = z.object({
  rows: z.array(RunRow),
  /** Episodes matching the filters, over all pages. */
  total: z.number(),
  nextPage: z.string().optional(),
});
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

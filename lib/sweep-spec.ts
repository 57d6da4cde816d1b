import { z } from 'zod';
import type { AgentConfig } from './agent-config';
import { EpisodeLimits, ModelParams, RuntimeKind } from './episode';
import { Conditions, Scale, type TaskConfig } from './task-config';

/**
 * The sweep spec: the YAML a researcher writes for `mlgym sweep start`. Validation errors name the
 * field (`models.1.temperature: ...`, `limits.max_steps: ...`) through describeIssues.
 *
 * ```yaml
 * name: gpt-vs-claude            # the sweep's identity: workflow id `sweep-<name>`
 * tasks: [blotto, ./my-task/task.yaml]
 * models:
 *   - openai:gpt-4o
 *   - {model: anthropic:claude-sonnet-4-5, temperature: 0, id: sonnet}
 * runs: 4                        # runs per (task, model) cell
 * limits: {max_steps: 50, cost_limit_usd: 4, max_time_minutes: 120}
 * concurrency: 4                 # episodes running at once
 * budget_usd: 100                # no new episode starts once the spend reaches this
 * runtime: docker
 * agent_config: ../mlgym/configs/agents/default.yaml   # optional: an MLGym agent YAML (relative to this file)
 * scale: small                  # small (CPU-sized) or paper (MLGym-Bench's sizes and GPUs)
 * conditions: strict            # strict (no network) or mlgym (MLGym's: network on)
 * ```
 */

const NAME = /^[A-Za-z0-9_.-]+$/;
const NAME_MESSAGE = 'may hold letters, digits, _ . - only';

export const SweepModelEntry = z.preprocess(
  // `provider:model` is shorthand for `{model: provider:model}`.
  (value) => (typeof value === 'string' ? { model: value } : value),
  z
    .object({
      model: z.string().min(1, 'names no model (use provider:model)'),
      /** Identity of the model in cell and episode ids; derived from `model` when absent. */
      id: z.string().regex(NAME, `id ${NAME_MESSAGE}`).max(60).optional(),
      ...ModelParams.shape,
    })
    .strict(),
);
export type SweepModelEntry = z.infer<typeof SweepModelEntry>;

export const SweepLimits = z
  .object({
    ...EpisodeLimits.shape,
    /** Wall-clock minutes per episode; the sweep then cancels it gracefully (autosubmission). */
    max_time_minutes: z.number().positive().optional(),
  })
  .strict();
export type SweepLimits = z.infer<typeof SweepLimits>;

export const DEFAULT_EVENTS_PER_RUN = 5000;

export const SweepSpec = z
  .object({
    name: z.string().min(1).max(80).regex(NAME, `name ${NAME_MESSAGE}`),
    /** Task ids (folders under tasks/) or paths to task.yaml files (relative to the spec file). */
    tasks: z.array(z.string().min(1)).min(1, 'name at least one task'),
    models: z.array(SweepModelEntry).min(1, 'name at least one model'),
    /** Runs per (task, model) cell. */
    runs: z.number().int().positive().max(1000).default(1),
    limits: SweepLimits.prefault({}),
    /** Episodes running at once. */
    concurrency: z.number().int().positive().max(1000).default(2),
    /** Total USD for the sweep: no new episode starts once finished plus running episodes spent this. */
    budget_usd: z.number().positive().optional(),
    runtime: RuntimeKind.default('docker'),
    /** An MLGym agent YAML (relative to the spec file) whose prompts every episode uses; absent: ours. */
    agent_config: z.string().min(1).optional(),
    /** Every episode's scale: `small` (CPU-sized, the default) or `paper` (MLGym-Bench's sizes, budgets and GPUs). */
    scale: Scale.default('small'),
    /** Every episode's sandbox conditions: `strict` (no network, the default) or `mlgym` (network on, as in MLGym-Bench). */
    conditions: Conditions.default('strict'),
    /** Advanced: the sweep workflow continues-as-new after this many history events. */
    events_per_run: z.number().int().min(20).max(40_000).default(DEFAULT_EVENTS_PER_RUN),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.models.forEach((entry, index) => {
      const key = modelKey(entry);
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index],
          message: `models.${first} and models.${index} both have the id "${key}"; give one of them an \`id\``,
        });
      } else seen.set(key, index);
    });
    const tasks = new Set<string>();
    spec.tasks.forEach((task, index) => {
      if (tasks.has(task)) ctx.addIssue({ code: 'custom', path: ['tasks', index], message: `"${task}" is listed twice` });
      tasks.add(task);
    });
  });
export type SweepSpec = z.infer<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;

/** `openai:gpt-4o` -> `openai-gpt-4o`; a replay trajectory path -> `replay-<file name>`. */
export function modelSlug(model: string): string {
  const colon = model.indexOf(':');
  const provider = colon < 0 ? model : model.slice(0, colon);
  const name =
    colon < 0
      ? ''
      : (model
          .slice(colon + 1)
          .split('/')
          .pop() ?? '');
  return `${provider}-${name}`
    .replace(/\.traj$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-+$/, '')
    .slice(0, 60);
}

export const modelKey = (entry: { model: string; id?: string }): string => entry.id ?? modelSlug(entry.model);

/**
 * A sweep spec with every name resolved, as the CLI hands it to the sweep workflow: tasks loaded
 * and validated, models parsed and priced, limits complete. Everything a cell's episode needs.
 */
export interface SweepPlan {
  name: string;
  tasks: { id: string; dir: string; config: TaskConfig }[];
  models: { key: string; model: string; params: ModelParams }[];
  runs: number;
  limits: EpisodeLimits;
  maxTimeMinutes?: number;
  concurrency: number;
  budgetUsd?: number;
  runtime: RuntimeKind;
  eventsPerRun: number;
  /** The agent every episode runs with (from `agent_config`); absent: ours. */
  agent?: AgentConfig;
  /** The scale every task was resolved at; absent in sweeps started before scales existed. */
  scale?: Scale;
  /** The episodes' sandbox conditions; absent in sweeps started before conditions existed. */
  conditions?: Conditions;
}

/** One (task, model, run) cell of a sweep. */
export interface SweepCell {
  /** `<sweep>--<task>--<model>--r<run>`: the episode id of the cell's first attempt. */
  id: string;
  task: string;
  model: string;
  run: number;
}

export const sweepWorkflowId = (name: string): string => `sweep-${name}`;

/** Accepts `name` or `sweep-name` (as printed) and returns the sweep's name. */
export const sweepNameOf = (idOrName: string): string => idOrName.replace(/^sweep-/, '');

export const cellId = (sweep: string, task: string, model: string, run: number): string => `${sweep}--${task}--${model}--r${run}`;

/** Episode id of attempt `attempt` (1-based) of a cell: the first attempt has the cell's id. */
export const attemptId = (cell: string, attempt: number): string => (attempt <= 1 ? cell : `${cell}--a${attempt}`);

/**
 * The cells of a plan, run-major (every task x model gets its first run before any gets a second),
 * so a sweep cut short by its budget still covers every cell once.
 */
export function planCells(plan: Pick<SweepPlan, 'name' | 'tasks' | 'models' | 'runs'>): SweepCell[] {
  const cells: SweepCell[] = [];
  for (let run = 1; run <= plan.runs; run++) {
    for (const task of plan.tasks) {
      for (const model of plan.models) cells.push({ id: cellId(plan.name, task.id, model.key, run), task: task.id, model: model.key, run });
    }
  }
  return cells;
}

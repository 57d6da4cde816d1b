import { Conditions, Scale, type TaskConfig } from './task-config';

export { Conditions, Scale };

export const DEFAULT_SCALE: Scale = 'small';
export const DEFAULT_CONDITIONS: Conditions = 'strict';

/** Where the baseline shown with a task at a scale comes from. */
export type BaselineOrigin = 'mlgym' | 'measured' | 'cached' | 'task file' | 'none';

/** A baseline measured by `mlgym tasks baseline` and cached on this machine (see scripts/lib/baseline-cache.ts). */
export interface MeasuredBaseline {
  scores: Record<string, number>;
  /** What the measurement says about itself, e.g. "measured 2026-12-06 on host a, image sha256:..". */
  source: string;
}

/**
 * A task as it runs at one scale under one set of conditions: the scale's resources, timeout and
 * baseline replace the task's own, and the conditions decide the sandbox's network. Pure, so the
 * CLI resolves it once and the episode carries the result (its prompt, report and AUP all read the
 * same baseline). `measured` is a cached measurement; it wins over the task file's number because
 * it is this starter's score on this setup.
 */
export function taskAtScale(task: TaskConfig, scale: Scale, conditions: Conditions, measured?: MeasuredBaseline): TaskConfig {
  const settings = task.scales[scale];
  const declared = settings
    ? {
        baseline_scores: settings.baseline_scores ?? [],
        baseline_source: settings.baseline_source ?? `no baseline is known at the ${scale} scale yet: run \`mlgym tasks baseline ${task.id} --scale ${scale}\``,
      }
    : { baseline_scores: task.baseline_scores, baseline_source: task.baseline_source };
  return {
    ...task,
    scale,
    network: conditions === 'mlgym' ? true : task.network,
    resources: { ...task.resources, ...settings?.resources },
    training_timeout: settings?.training_timeout ?? task.training_timeout,
    ...(measured ? { baseline_scores: [measured.scores], baseline_source: measured.source } : declared),
  };
}

/** Where the baseline `taskAtScale` shows comes from, for `tasks list` and the report. */
export function baselineOrigin(task: TaskConfig, scale: Scale, measured?: MeasuredBaseline): BaselineOrigin {
  if (measured) return 'cached';
  const settings = task.scales[scale];
  if (!settings) return task.baseline_scores.length ? 'task file' : 'none';
  if (!settings.baseline_scores?.length) return 'none';
  return settings.baseline_origin ?? 'measured';
}

/** The prepared-data variant a scale runs on: paper scale is MLGym's full data. */
export const dataVariantOf = (scale: Scale): 'small' | 'full' => (scale === 'paper' ? 'full' : 'small');

/** What this scale does not reproduce of MLGym's setup, when the task says. */
export const scaleDifferences = (task: TaskConfig, scale: Scale): string | undefined => task.scales[scale]?.differences;

/** How an episode ran, as results.json, the trajectory and the sweep report record it. */
export interface RunSetup {
  scale: Scale;
  conditions: Conditions;
  gpus: number;
  network: boolean;
  /** What this scale does not reproduce of MLGym's setup (from the task). */
  differences?: string;
}

/**
 * The setup of a task resolved at a scale; undefined for one resolved before scales existed (its
 * data variant was the worker's MLGYM_DATA, which the episode did not record).
 */
export function runSetupOf(task: TaskConfig, conditions: Conditions | undefined): RunSetup | undefined {
  const scale = task.scale;
  if (!scale) return undefined;
  const differences = scaleDifferences(task, scale);
  return {
    scale,
    conditions: conditions ?? DEFAULT_CONDITIONS,
    gpus: task.resources.gpus,
    network: task.network,
    ...(differences && { differences }),
  };
}

import { starterModel } from './model-spec';
import { SA } from './search-attributes';
import { planEpisodeInput, type EpisodeStart } from './sweep-episode-start';
import type { SweepPlan } from './sweep-spec';

/**
 * Baselines that depend on the machine (3-SAT's Time: seconds on this CPU): a score measured
 * elsewhere would not compare with the agents' scores, so a sweep measures them on its own workers,
 * after its cells and before its report scores AUP. The measurement is an episode whose "model"
 * runs the starter as it is and submits (activities/model/starter.ts).
 */

export interface HostBaseline {
  episodeId: string;
  state: 'running' | 'measured' | 'failed';
  scores?: Record<string, number>;
  error?: string;
}

/** The plan's tasks whose scale declares a machine-dependent baseline. */
export const hostBaselineTasks = (plan: Pick<SweepPlan, 'tasks'>): string[] =>
  plan.tasks.filter(({ config }) => config.scale && config.scales[config.scale]?.baseline_per_host).map((t) => t.id);

export const hostBaselineId = (sweep: string, task: string): string => `${sweep}--${task}--host-baseline`;

/** The measuring episode of one task, with the sweep's runtime, scale and conditions. */
export function hostBaselineStart(plan: SweepPlan, taskId: string): EpisodeStart | undefined {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (!task) return undefined;
  const episodeId = hostBaselineId(plan.name, taskId);
  const model = starterModel(task.config.baseline_command);
  return {
    episodeId,
    input: planEpisodeInput(plan, task, episodeId, model, { ...plan.limits, max_steps: 3, cost_limit_usd: 0 }),
    searchAttributes: [
      { key: SA.task, value: taskId },
      { key: SA.model, value: model },
    ],
    summary: `baseline of ${taskId} measured on the workers of sweep ${plan.name} (its score depends on the machine)`,
  };
}

/** The baseline a report shows for a task: the sweep's own measurement, when it made one. */
export function measuredBaselineOf(baseline: HostBaseline | undefined): { scores: Record<string, number>; source: string } | undefined {
  if (baseline?.state !== 'measured' || !baseline.scores) return undefined;
  return { scores: baseline.scores, source: `measured on this sweep's workers by episode ${baseline.episodeId} (the score depends on the machine)` };
}

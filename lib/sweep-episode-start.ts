import type { SearchAttributePair } from '@temporalio/common';
import type { EpisodeInput, EpisodeLimits } from './episode';
import { SA } from './search-attributes';
import { episodeIdOf, type CellRecord } from './sweep';
import type { SweepPlan } from './sweep-spec';

/** What the sweep starts a cell's episode with. */
export interface EpisodeStart {
  episodeId: string;
  input: EpisodeInput;
  /** So the UI filters the sweep's episodes by sweep, task and model. */
  searchAttributes: SearchAttributePair[];
  /** One line naming the cell in the UI's list of runs. */
  summary: string;
}

/**
 * The episode of a cell's current attempt, built from the plan as it is now (settings of a re-sent
 * spec apply to new starts); undefined when the cell's task or model left the spec.
 */
export function episodeStartOf(plan: SweepPlan, record: Pick<CellRecord, 'id' | 'task' | 'model' | 'run' | 'attempt'>): EpisodeStart | undefined {
  const task = plan.tasks.find((t) => t.id === record.task);
  const model = plan.models.find((m) => m.key === record.model);
  if (!task || !model) return undefined;
  const episodeId = episodeIdOf(record);
  return {
    episodeId,
    input: { ...planEpisodeInput(plan, task, episodeId, model.model, plan.limits), modelParams: model.params, sweepId: plan.name },
    searchAttributes: [
      { key: SA.sweep, value: plan.name },
      { key: SA.task, value: task.id },
      { key: SA.model, value: model.model },
    ],
    summary: `${task.id} with ${model.model}, run ${record.run}${record.attempt > 1 ? `, attempt ${record.attempt}` : ''} (sweep ${plan.name})`,
  };
}

/**
 * What every episode a sweep starts shares: the plan's runtime, agent, scale and conditions, with
 * its own task, model and limits (default model parameters; a cell sets its model's).
 */
export function planEpisodeInput(plan: SweepPlan, task: SweepPlan['tasks'][number], episodeId: string, model: string, limits: EpisodeLimits): EpisodeInput {
  return {
    episodeId,
    taskDir: task.dir,
    task: task.config,
    model,
    modelParams: { temperature: 0, top_p: 0.95, max_output_tokens: 4096 },
    runtime: plan.runtime,
    limits,
    keepSandbox: false,
    ...(plan.agent && { agent: plan.agent }),
    ...(plan.scale && { scale: plan.scale }),
    ...(plan.conditions && { conditions: plan.conditions }),
  };
}

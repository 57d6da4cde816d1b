import type { SearchAttributePair } from '@temporalio/common';
import type { EpisodeInput } from './episode';
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
    input: {
      episodeId,
      taskDir: task.dir,
      task: task.config,
      model: model.model,
      modelParams: model.params,
      runtime: plan.runtime,
      limits: plan.limits,
      sweepId: plan.name,
      keepSandbox: false,
      ...(plan.agent && { agent: plan.agent }),
      ...(plan.scale && { scale: plan.scale }),
      ...(plan.conditions && { conditions: plan.conditions }),
    },
    searchAttributes: [
      { key: SA.sweep, value: plan.name },
      { key: SA.task, value: task.id },
      { key: SA.model, value: model.model },
    ],
    summary: `${task.id} with ${model.model}, run ${record.run}${record.attempt > 1 ? `, attempt ${record.attempt}` : ''} (sweep ${plan.name})`,
  };
}

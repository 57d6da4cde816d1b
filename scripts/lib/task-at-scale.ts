import { existsSync } from 'node:fs';
import path from 'node:path';
import { COMPLETE_MARKER, dataLocation, unpreparedMessage } from '../../activities/sandbox/task-data';
import { taskAtScale, type Conditions, type MeasuredBaseline, type Scale } from '../../lib/task-scale';
import { readBaseline } from './baseline-cache';
import { UsageError } from './output';
import { loadTask, type LoadedTask } from './tasks';

export interface ScaleChoice {
  scale: Scale;
  conditions: Conditions;
}

/**
 * A task as an episode runs it at the chosen scale and conditions, its baseline the one this
 * machine measured for that setup when there is one (scripts/lib/baseline-cache.ts).
 */
export function loadTaskAt(idOrPath: string, choice: ScaleChoice): LoadedTask & { measured?: MeasuredBaseline } {
  const loaded = loadTask(idOrPath);
  const measured = readBaseline(loaded.config, loaded.dir, choice.scale);
  return { ...loaded, config: taskAtScale(loaded.config, choice.scale, choice.conditions, measured), ...(measured && { measured }) };
}

/**
 * Paper-scale data is hours of download, so an episode never prepares it on the spot: a task
 * whose full data is not prepared on this machine is refused before anything starts.
 */
export function checkDataReady(task: LoadedTask['config']): void {
  if (!task.data || task.scale !== 'paper') return;
  if (!existsSync(path.join(dataLocation(task.id, 'full').dir, COMPLETE_MARKER))) throw new UsageError(unpreparedMessage(task));
}

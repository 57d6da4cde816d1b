import { systemPrompt, taskPrompt } from '../lib/prompts';
import type { TaskConfig } from '../lib/task-config';
import { artifacts } from './context';
import { writeMessage } from './transcript';

export interface StartTranscriptInput {
  episodeId: string;
  task: TaskConfig;
  workspace: string;
}

/** Writes the system prompt and the task as the first two transcript messages; returns the length. */
export async function startTranscript(input: StartTranscriptInput): Promise<number> {
  const store = artifacts();
  await writeMessage(store, input.episodeId, 0, { role: 'system', kind: 'system', step: 0, content: systemPrompt(input.task) });
  await writeMessage(store, input.episodeId, 1, {
    role: 'user',
    kind: 'task',
    step: 0,
    content: taskPrompt(input.task, datasetDocs(input.task), input.workspace),
  });
  return 2;
}

function datasetDocs(task: TaskConfig): string {
  return task.dataset_configs
    .map((dataset) => (typeof dataset === 'string' ? `- ${dataset}` : `- ${dataset.name} (${dataset.data_path}): ${dataset.description}`))
    .join('\n');
}

import type { AgentConfig } from '../lib/agent-config';
import { DEFAULT_AGENT } from '../lib/default-agent';
import { EpisodeLimits } from '../lib/episode';
import type { TranscriptMessage } from '../lib/history';
import { systemPrompt, taskPrompt } from '../lib/prompts';
import type { TaskConfig } from '../lib/task-config';
import { renderToolDocs } from '../lib/tool-docs';
import { artifacts } from './context';
import { writeMessage } from './transcript';

export interface StartTranscriptInput {
  episodeId: string;
  task: TaskConfig;
  workspace: string;
  /** The episode's agent (absent: ours, DEFAULT_AGENT). */
  agent?: AgentConfig;
  /** The step limit, for the first message's remaining steps (absent: the default limit). */
  maxSteps?: number;
}

/**
 * Writes the messages MLGym's agent starts with: the system prompt, the demonstrations, the task
 * (at step 0, in the workspace, no file open). Returns the transcript's length.
 */
export async function startTranscript(input: StartTranscriptInput): Promise<number> {
  const agent = input.agent ?? DEFAULT_AGENT;
  const toolDocs = renderToolDocs(agent.window, agent.overlap);
  const state = { step: 0, maxSteps: input.maxSteps ?? EpisodeLimits.parse({}).max_steps, working_dir: input.workspace };
  const messages: TranscriptMessage[] = [
    { role: 'system', kind: 'system', step: 0, content: systemPrompt(agent, input.task, toolDocs) },
    ...agent.demonstrations.map((demo): TranscriptMessage => ({ ...demo, kind: 'demonstration', step: 0 })),
    { role: 'user', kind: 'task', step: 0, content: taskPrompt(agent, input.task, toolDocs, state) },
  ];
  const store = artifacts();
  for (const [seq, message] of messages.entries()) await writeMessage(store, input.episodeId, seq, message);
  return messages.length;
}

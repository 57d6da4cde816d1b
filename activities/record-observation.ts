import { episodeKeys } from '../lib/artifact-keys';
import type { SandboxHandle } from '../lib/episode';
import { observationPrompt, type StepTemplates } from '../lib/prompts';
import { artifacts } from './context';
import type { ExecRecord } from './finish';
import { currentState } from './sandbox/detached';
import { runtimeFor } from './sandbox/runtimes';
import { writeMessage } from './transcript';

export interface RecordObservationInput {
  episodeId: string;
  step: number;
  handle: SandboxHandle;
  /** What the environment answers instead of running the action (e.g. MLGym's malformed-edit message). */
  observation: string;
  transcriptLength: number;
  maxSteps: number;
  /** The agent config's next-step templates (absent: our default agent's). */
  stepTemplates?: StepTemplates;
}

/** A step whose action the environment refused without running anything: it still costs the step. */
export async function recordObservation(input: RecordObservationInput): Promise<{ transcriptLength: number }> {
  const store = artifacts();
  const state = await currentState(runtimeFor(input.handle), input.handle);
  await writeMessage(store, input.episodeId, input.transcriptLength, {
    role: 'user',
    kind: 'observation',
    step: input.step,
    content: observationPrompt(input.observation, input.step, input.maxSteps, state, input.stepTemplates),
  });
  const record: ExecRecord = { observation: input.observation, execution_time: 0, state };
  await store.put(episodeKeys(input.episodeId).execRecord(input.step), JSON.stringify(record));
  return { transcriptLength: input.transcriptLength + 1 };
}

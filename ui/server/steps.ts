import type { StepView } from '../shared/api';
import { episodeKeys } from '../../lib/artifact-keys';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { tryGetJson } from '../../activities/artifacts/store';
import type { ExecRecord, ModelCallRecord } from '../../activities/finish';
import { mapLimited } from '../../activities/async';

const STEP_DIR = /\/steps\/(\d{6})\/([^/]+)$/;

/** Which steps have which records, from one listing of the episode's `steps/` folder. */
async function stepFiles(store: ArtifactStore, episodeId: string): Promise<Map<number, Set<string>>> {
  const files = new Map<number, Set<string>>();
  for (const key of await store.list(episodeKeys(episodeId).stepsPrefix)) {
    const match = STEP_DIR.exec(key);
    if (!match) continue;
    const step = Number(match[1]);
    if (!files.has(step)) files.set(step, new Set());
    files.get(step)!.add(match[2]);
  }
  return files;
}

export const outputPath = (episodeId: string, step: number) => `api/episodes/${encodeURIComponent(episodeId)}/steps/${step}/output`;
export const stepTemporalPath = (episodeId: string, step: number) => `api/episodes/${encodeURIComponent(episodeId)}/steps/${step}/temporal`;

/**
 * The steps after `after`, as stored by the model-call and command activities. With `finishedOnly`,
 * a step shows once its command came back (its exec record exists): a live page never shows a
 * step twice. Reads run a few at a time, so an S3 store answers a 1,000-step episode in seconds.
 */
export async function readSteps(store: ArtifactStore, episodeId: string, options: { after?: number; finishedOnly?: boolean } = {}): Promise<StepView[]> {
  const keys = episodeKeys(episodeId);
  const files = await stepFiles(store, episodeId);
  const wanted = [...files.entries()]
    .filter(([step, names]) => step > (options.after ?? 0) && names.has('model.json') && (!options.finishedOnly || names.has('exec.json')))
    .map(([step, names]) => ({ step, names }))
    .sort((a, b) => a.step - b.step);
  return mapLimited(wanted, 16, async ({ step, names }) => {
    const [model, exec] = await Promise.all([
      tryGetJson<ModelCallRecord>(store, keys.modelCall(step)),
      names.has('exec.json') ? tryGetJson<ExecRecord>(store, keys.execRecord(step)) : undefined,
    ]);
    return stepView(episodeId, step, model, exec, names.has('output.txt'));
  });
}

function stepView(episodeId: string, step: number, model: ModelCallRecord | undefined, exec: ExecRecord | undefined, hasOutput: boolean): StepView {
  return {
    step,
    thought: model?.thought ?? '',
    action: model?.action ?? '',
    ...(exec && { observation: exec.observation, executionSec: exec.execution_time }),
    ...(hasOutput && { outputUrl: outputPath(episodeId, step) }),
    ...(model?.usage && { inputTokens: model.usage.inputTokens, outputTokens: model.usage.outputTokens }),
    ...(model?.costUsd !== undefined && { costUsd: model.costUsd }),
    ...(model?.formatErrors?.length && { formatErrors: model.formatErrors.length }),
    ...(exec?.evaluation && { evaluation: exec.evaluation }),
    temporalUrl: stepTemporalPath(episodeId, step),
  };
}

/** The full output of a step's command, or undefined when it ran none. */
export async function readStepOutput(store: ArtifactStore, episodeId: string, step: number): Promise<Buffer | undefined> {
  return store.tryGet(episodeKeys(episodeId).execOutput(step));
}

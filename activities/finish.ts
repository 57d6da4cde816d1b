import { episodeKeys } from '../lib/artifact-keys';
import type { Evaluation, Usage } from '../lib/episode';
import type { SnapshotReport } from '../lib/snapshot';
import type { SupersededRuns } from './snapshot';
import type { TaskConfig } from '../lib/task-config';
import { artifacts } from './context';
import { readTranscript } from './transcript';
import { tryGetJson } from './artifacts/store';

export interface FinishInput {
  episodeId: string;
  model: string;
  task: TaskConfig;
  exitStatus: string;
  evaluations: Evaluation[];
  costUsd: number;
  usage: Usage;
  modelCalls: number;
  steps: number;
  /**
   * Messages of this episode's transcript. A resumed episode's store may still hold messages (and
   * step records) an earlier run wrote past the resume step; only this many are its own.
   */
  transcriptLength?: number;
}

/** What the model-call and command activities store per step (see call-model.ts, exec-command.ts). */
export interface ModelCallRecord {
  response: string;
  thought: string;
  action: string;
  usage?: Usage;
  costUsd?: number;
  formatErrors?: { replyKey: string; error: string }[];
}
/** Billing of one model call attempt (steps/<n>/call-<attempt>.json). */
export interface CallRecord {
  kind: 'action' | 'format_error';
  usage: Usage;
  costUsd: number;
}
export interface ExecRecord {
  observation: string;
  execution_time: number;
  state: Record<string, unknown>;
  outputKey?: string;
  exitCode?: number;
  /** The workspace snapshot taken after the command. */
  snapshot?: SnapshotReport;
  /** Commands an earlier run ran at this step or later, stopped, and the workspace restore before this one. */
  superseded?: SupersededRuns;
  /** A scored validate step's metrics (what a resume rebuilds the evaluations from). */
  evaluation?: Pick<Evaluation, 'kind' | 'metrics'>;
}

/**
 * Writes the MLGym-compatible trajectory (`<episode>.traj`) and `results.json` from the per-step
 * artifacts, so the workflow never has to carry the steps itself.
 */
export async function finishEpisode(input: FinishInput): Promise<{ resultsPath: string; trajectoryPath: string }> {
  const store = artifacts();
  const keys = episodeKeys(input.episodeId);
  const transcriptLength = input.transcriptLength ?? (await store.list(keys.transcriptPrefix)).length;
  const messages = await readTranscript(store, input.episodeId, transcriptLength);
  const observed = new Set(messages.filter((m) => m.kind === 'observation').map((m) => m.step));
  const trajectory = [];
  for (let step = 1; step <= input.steps; step++) {
    const model = await tryGetJson<ModelCallRecord>(store, keys.modelCall(step));
    if (!model) continue;
    // A step without an observation in this transcript (the submit) has no record of its own; one
    // in the store would be an earlier run's.
    const exec = input.transcriptLength === undefined || observed.has(step) ? await tryGetJson<ExecRecord>(store, keys.execRecord(step)) : undefined;
    trajectory.push({
      step,
      state: JSON.stringify(exec?.state ?? {}),
      response: model.response,
      thought: model.thought,
      action: model.action,
      execution_time: exec?.execution_time ?? 0,
      observation: exec?.observation ?? '',
      ...(exec?.outputKey && { full_output: store.locate(exec.outputKey) }),
    });
  }
  const history = messages.map((m) => ({ role: m.role, content: m.content, agent: 'primary' }));
  const final = input.evaluations.filter((e) => e.kind === 'submit').at(-1);
  const traj = {
    environment: 'mlgym-temporal',
    trajectory,
    history,
    info: {
      model: input.model,
      task: input.task.id,
      model_stats: {
        total_cost: input.costUsd,
        instance_cost: input.costUsd,
        tokens_sent: input.usage.inputTokens,
        tokens_received: input.usage.outputTokens,
        api_calls: input.modelCalls,
      },
      exit_status: input.exitStatus,
      submission: final ? input.task.submission_path : null,
      score: input.evaluations.map((e) => e.metrics),
    },
  };
  const results = {
    agent: input.evaluations.map((e) => ({ ...e.metrics })),
    evaluations: input.evaluations,
    baseline: input.task.baseline_scores[0] ?? null,
    exit_status: input.exitStatus,
  };
  await store.put(keys.trajectory, JSON.stringify(traj, null, 2));
  await store.put(keys.results, JSON.stringify(results, null, 2));
  return { resultsPath: store.locate(keys.results), trajectoryPath: store.locate(keys.trajectory) };
}

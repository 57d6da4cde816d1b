import { episodeKeys } from '../lib/artifact-keys';
import { isTestScore, type Evaluation, type HostLoss, type Usage } from '../lib/episode';
import type { TranscriptMessage } from '../lib/history';
import type { SnapshotReport } from '../lib/snapshot';
import type { SupersededRuns } from './snapshot/supersede';
import type { Conditions, TaskConfig } from '../lib/task-config';
import { runSetupOf } from '../lib/task-scale';
import { exitReasonOf } from '../lib/exit-status';
import { exitObservation } from '../lib/mlgym-env';
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
  /** Steps the episode counted, the one that ended it included (its model call is stored like any step's). */
  steps: number;
  /**
   * Messages of this episode's transcript. A resumed episode's store may still hold messages (and
   * step records) an earlier run wrote past the resume step; only this many are its own.
   */
  transcriptLength?: number;
  /** Where the episode ran: its sandbox's host and the GPU ids it held (absent in older workflows). */
  placement?: Placement;
  /** The sandbox's conditions (absent in older workflows: strict). */
  conditions?: Conditions;
}

export interface Placement {
  host: string;
  gpus: string[];
  /** Hosts the sandbox was lost with, and the steps whose workspace changes went with them. */
  hostLosses?: HostLoss[];
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
  evaluation?: Pick<Evaluation, 'kind' | 'metrics' | 'split'>;
}

/** MLGym names its agent in every history entry; one agent per episode here. */
const AGENT = 'primary';

interface StepRecords {
  step: number;
  model: ModelCallRecord;
  exec?: ExecRecord;
}

/**
 * Writes the trajectory (`<episode>.traj`) and `results.json` in MLGym's shape from the per-step
 * artifacts, so the workflow never has to carry the steps itself and MLGym's analysis code and
 * visualiser read them: history entries of the agent's replies carry the parsed `thought` and
 * `action`, `info.model_stats` uses MLGym's names, and the step that ended the episode is recorded
 * as MLGym's environment answers it.
 */
export async function finishEpisode(input: FinishInput): Promise<{ resultsPath: string; trajectoryPath: string }> {
  const store = artifacts();
  const keys = episodeKeys(input.episodeId);
  const transcriptLength = input.transcriptLength ?? (await store.list(keys.transcriptPrefix)).length;
  const messages = await readTranscript(store, input.episodeId, transcriptLength);
  const observed = new Set(messages.filter((m) => m.kind === 'observation').map((m) => m.step));
  const steps: StepRecords[] = [];
  for (let step = 1; step <= input.steps; step++) {
    const model = await tryGetJson<ModelCallRecord>(store, keys.modelCall(step));
    if (!model) continue;
    // A step without an observation in this transcript has no record of its own; one in the store
    // would be an earlier run's.
    const exec = input.transcriptLength === undefined || observed.has(step) ? await tryGetJson<ExecRecord>(store, keys.execRecord(step)) : undefined;
    steps.push({ step, model, ...(exec && { exec }) });
  }
  const exit = exitStep(steps, input);

  const trajectory = steps.map(({ step, model, exec }) => ({
    step,
    state: JSON.stringify(exec?.state ?? {}),
    response: model.response,
    thought: model.thought,
    action: model.action,
    execution_time: exec?.execution_time ?? 0,
    observation: step === exit?.step ? exit.observation : (exec?.observation ?? ''),
    ...(exec?.outputKey && { full_output: store.locate(exec.outputKey) }),
  }));
  const models = new Map(steps.map((s) => [s.step, s.model]));
  const history = messages
    // The environment's answer to the action that ended the episode never reached the model.
    .filter((m) => !(m.kind === 'observation' && m.step === exit?.step))
    .map((m) => historyEntry(m, models.get(m.step)));
  // MLGym compares test-split scores only; a validation-split validate is kept under `evaluations`.
  const scores = input.evaluations.filter(isTestScore).map((e) => ({ ...e.metrics }));
  const submitted = input.evaluations.some((e) => e.kind === 'submit');
  const baseline = input.task.baseline_scores[0];
  const setup = runSetupOf(input.task, input.conditions);
  const traj = {
    environment: 'mlgym-temporal',
    trajectory,
    history,
    info: {
      model: input.model,
      task: input.task.id,
      // MLGym's total_cost sums a whole multi-task run, task_cost one task: here both are the episode's.
      model_stats: {
        total_cost: input.costUsd,
        task_cost: input.costUsd,
        tokens_sent: input.usage.inputTokens,
        tokens_received: input.usage.outputTokens,
        api_calls: input.modelCalls,
      },
      exit_status: input.exitStatus,
      submission: submitted ? input.task.submission_path : null,
      score: scores,
      summarizer: {},
      ...(setup && { setup }),
      ...(input.placement && { placement: input.placement }),
    },
  };
  const results = {
    agent: scores,
    // MLGym writes no baseline for a task without one (its readers then skip it).
    ...(baseline && { baseline }),
    evaluations: input.evaluations,
    exit_status: input.exitStatus,
    // Which code scored: our trusted evaluator, or MLGym's, which imports or unpickles agent files.
    integrity: input.task.integrity,
    // The scale, conditions and GPUs: scores from different setups do not compare.
    ...(setup && { setup }),
    ...(input.placement && { placement: input.placement }),
  };
  await store.put(keys.trajectory, JSON.stringify(traj, null, 2));
  await store.put(keys.results, JSON.stringify(results, null, 2));
  return { resultsPath: store.locate(keys.results), trajectoryPath: store.locate(keys.trajectory) };
}

/**
 * MLGym's environment answers the action that ends an episode (submit, an exit_* action, the reply
 * past the step limit) with `Exited (<reason>)`. Our submit step stores its evaluation's message
 * instead, and the other exits store no command outcome: both become MLGym's observation.
 */
function exitStep(steps: StepRecords[], input: FinishInput): { step: number; observation: string } | undefined {
  const last = steps.at(-1);
  const reason = exitReasonOf(input.exitStatus);
  if (!last || last.step !== input.steps || reason === undefined) return undefined;
  if (last.exec && reason !== 'submit') return undefined;
  return { step: last.step, observation: exitObservation(reason) };
}

/**
 * One entry of MLGym's `history`. The agent's replies carry the thought and action parsed from them
 * (MLGym's analysis reads the last one's `action`); demonstration messages are marked `is_demo`.
 */
function historyEntry(message: TranscriptMessage, model: ModelCallRecord | undefined) {
  return {
    role: message.role,
    content: message.content,
    agent: AGENT,
    ...(message.kind === 'action' && { thought: model?.thought ?? '', action: model?.action ?? '' }),
    ...(message.kind === 'demonstration' && { is_demo: true }),
  };
}

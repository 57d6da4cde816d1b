import path from 'node:path';
import { Context } from '@temporalio/activity';
import { episodeKeys } from '../lib/artifact-keys';
import type { Evaluation, SandboxHandle } from '../lib/episode';
import { parseEvaluatorOutput } from '../lib/evaluator-output';
import type { SubmissionOutcome } from '../lib/exit-status';
import { observationPrompt, type StepTemplates } from '../lib/prompts';
import { SUBMISSION_NOT_FOUND_OBSERVATION, validationObservation } from '../lib/mlgym-env';
import type { TaskConfig } from '../lib/task-config';
import { artifacts } from './context';
import { copySubmissionOut } from './sandbox/submission';
import { currentState } from './sandbox/detached';
import { runtimeFor } from './sandbox/runtimes';
import { ensureTaskData } from './sandbox/task-data';
import { writeMessage } from './transcript';
import type { ExecRecord } from './finish';

export interface EvaluateInput {
  episodeId: string;
  step: number;
  kind: Evaluation['kind'];
  /** True when the agent asked for it (its observation is a step); false for autosubmission. */
  asStep: boolean;
  handle: SandboxHandle;
  taskDir: string;
  task: TaskConfig;
  transcriptLength: number;
  maxSteps: number;
  /** The agent config's next-step templates (absent: our default agent's). */
  stepTemplates?: StepTemplates;
  /** The episode's validate split setting (absent: the task's validate_split, as before the setting existed). */
  validateSplit?: 'test' | 'validation';
}

type Scoring =
  | { status: 'scored'; metrics: Record<string, number>; message: string; split: 'test' | 'validation' }
  | { status: Exclude<SubmissionOutcome, 'scored'>; message: string };

export type EvaluateResult = Scoring & { transcriptLength: number };

/**
 * Scores the agent's submission artefact in a context the agent never controlled: the artefact is
 * copied out of the sandbox and the task's own trusted evaluator runs on it in a fresh context
 * holding the hidden files. The agent's copy of the evaluator is never used.
 */
export async function evaluateSubmission(input: EvaluateInput): Promise<EvaluateResult> {
  const ctx = Context.current();
  const runtime = runtimeFor(input.handle);
  const submissionPath = path.posix.join(input.handle.workspace, input.task.submission_path);
  const submission = await copySubmissionOut(runtime, input.handle, input.task);

  const wantsValidation = input.kind === 'validate' && (input.validateSplit ?? input.task.validate_split) === 'validation';
  const split = wantsValidation && input.task.validate_split === 'validation' ? 'validation' : 'test';
  let result: Scoring;
  if (!submission) {
    result = {
      status: 'not_found',
      message: SUBMISSION_NOT_FOUND_OBSERVATION,
    };
  } else {
    const beat = setInterval(() => ctx.heartbeat({ evaluating: input.kind }), 5_000);
    let run;
    try {
      run = await runtime.evaluate({
        episodeId: input.episodeId,
        task: input.task,
        taskDir: input.taskDir,
        submission,
        timeoutSec: input.task.training_timeout,
        data: await ensureTaskData(input.task, input.taskDir, input.handle.runtime),
        split,
      });
    } finally {
      clearInterval(beat);
    }
    const parsed = run.exitCode === 0 && !run.timedOut ? parseEvaluatorOutput(run.stdout) : undefined;
    const metric = input.task.metric.name;
    if (parsed?.ok && metric in parsed.metrics) {
      result = {
        status: 'scored',
        metrics: parsed.metrics,
        split,
        message: validationObservation(submissionPath, parsed.metrics, input.task.baseline_scores[0]),
      };
    } else {
      const why = run.timedOut
        ? `the evaluation ran longer than ${input.task.training_timeout} s`
        : run.exitCode !== 0
          ? `the evaluator exited with code ${run.exitCode}`
          : parsed && !parsed.ok
            ? parsed.error
            : `the evaluator's metrics lack the priority metric "${metric}"`;
      const stderr = run.stderr.trim().split('\n').slice(-15).join('\n');
      result = { status: 'evaluation_error', message: `Evaluation failed: ${why}.${stderr ? `\nEvaluator errors:\n${stderr}` : ''}` };
    }
  }

  if (!input.asStep) return { ...result, transcriptLength: input.transcriptLength };
  const store = artifacts();
  const state = await currentState(runtime, input.handle);
  await writeMessage(store, input.episodeId, input.transcriptLength, {
    role: 'user',
    kind: 'observation',
    step: input.step,
    content: observationPrompt(result.message, input.step, input.maxSteps, state, input.stepTemplates),
  });
  const record: ExecRecord = {
    observation: result.message,
    execution_time: 0,
    state,
    ...(result.status === 'scored' && { evaluation: { kind: input.kind, metrics: result.metrics, split: result.split } }),
  };
  await store.put(episodeKeys(input.episodeId).execRecord(input.step), JSON.stringify(record));
  return { ...result, transcriptLength: input.transcriptLength + 1 };
}

import type { EpisodeInput, EpisodeLimits, EpisodeProgress, Evaluation, ExitReason, Usage } from './episode';
import { bestScore } from './scores';

/**
 * The episode's bookkeeping between steps: counters, spend and scores, kept in the compact
 * EpisodeProgress the workflow carries across continue-as-new.
 */

/** The progress of an episode that has not started. */
export function startingProgress(limits: EpisodeLimits): EpisodeProgress {
  return {
    step: 0,
    transcriptLength: 0,
    modelCalls: 0,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    evaluations: [],
    limits,
  };
}

/** Every model call is billed, whatever its reply (MLGym pays for malformed replies too). */
export function billModelCall(progress: EpisodeProgress, call: { costUsd: number; usage: Usage }): void {
  progress.modelCalls += 1;
  progress.costUsd += call.costUsd;
  progress.usage.inputTokens += call.usage.inputTokens;
  progress.usage.outputTokens += call.usage.outputTokens;
}

/** Keeps a scored evaluation (validate or submit) as taken at the current step. */
export function recordEvaluation(progress: EpisodeProgress, kind: Evaluation['kind'], scored: Pick<Evaluation, 'metrics' | 'split'>): void {
  progress.evaluations.push({ kind, step: progress.step, metrics: scored.metrics, ...(scored.split && { split: scored.split }) });
}

/**
 * The limit that ends the episode before its next step, if any. Under MLGym's accounting the model
 * is asked once more after the last step (that reply ends the episode), so only the cost limit is
 * checked here.
 */
export function limitReached(progress: EpisodeProgress, mlgymAccounting: boolean): ExitReason | undefined {
  const limits = progress.limits;
  if (!mlgymAccounting && progress.step >= limits.max_steps) return 'max_steps';
  if (limits.cost_limit_usd > 0 && progress.costUsd >= limits.cost_limit_usd) return 'exit_cost';
  return undefined;
}

/** The best test-split score so far of the task's priority metric. */
export const bestScoreOf = (task: EpisodeInput['task'], progress: Pick<EpisodeProgress, 'evaluations'>): number | undefined =>
  bestScore(progress.evaluations, task.metric.name, task.metric.direction);

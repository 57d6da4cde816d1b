import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { EpisodeInput, EpisodePhase, EpisodeProgress, EpisodeStatus } from './episode';
import { bestScoreOf } from './episode-progress';
import { SA } from './search-attributes';

/** What the episode workflow knows of itself besides its input and progress. */
export interface EpisodeFlags {
  phase: EpisodePhase;
  paused: boolean;
  /** Why the episode waits for a person; cleared by resume. */
  blockedReason?: string;
  /** Set once the final evaluation decided it. */
  exitStatus?: string;
}

/** What the episode's `status` query returns. */
export function episodeStatus(input: Pick<EpisodeInput, 'episodeId' | 'task'>, progress: EpisodeProgress, flags: EpisodeFlags): EpisodeStatus {
  return {
    episodeId: input.episodeId,
    phase: flags.blockedReason !== undefined ? 'blocked' : flags.paused && flags.phase === 'running' ? 'paused' : flags.phase,
    paused: flags.paused,
    step: progress.step,
    maxSteps: progress.limits.max_steps,
    costUsd: progress.costUsd,
    costLimitUsd: progress.limits.cost_limit_usd,
    bestScore: bestScoreOf(input.task, progress),
    lastAction: progress.lastAction,
    sandbox: progress.sandbox,
    exitStatus: flags.exitStatus,
    blockedReason: flags.blockedReason,
    ...(progress.hostLosses?.length && { hostLosses: progress.hostLosses }),
  };
}

/**
 * The search attributes the Temporal UI filters episodes by; `status` is a phase or the exit status.
 * `host` (the sandbox's host) only where the workflow routes by host: older runs never set it.
 */
export function episodeSearchAttributes(
  input: Pick<EpisodeInput, 'task' | 'model' | 'sweepId'>,
  progress: EpisodeProgress,
  status: string,
  blockedReason: string | undefined,
  host?: string,
): SearchAttributeUpdatePair[] {
  const best = bestScoreOf(input.task, progress);
  return [
    { key: SA.task, value: input.task.id },
    { key: SA.model, value: input.model },
    ...(input.sweepId ? [{ key: SA.sweep, value: input.sweepId }] : []),
    { key: SA.status, value: status },
    { key: SA.step, value: progress.step },
    { key: SA.cost, value: progress.costUsd },
    // null removes the reason once the episode is unblocked.
    { key: SA.blockedReason, value: blockedReason?.slice(0, 1000) ?? null },
    ...(best === undefined ? [] : [{ key: SA.bestScore, value: best }]),
    ...(host === undefined ? [] : [{ key: SA.host, value: host }]),
  ];
}

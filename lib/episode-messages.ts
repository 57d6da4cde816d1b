import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EpisodeLimits, EpisodeStatus } from './episode';

/**
 * The episode workflow's query and signals, shared by the workflow (which handles them), the CLI
 * and the sweep's activities (which send them). Their names are part of every recorded history:
 * never rename one.
 */
export const statusQuery = defineQuery<EpisodeStatus>('status');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Graceful cancel: stop after (or interrupt) the current step, autosubmit, tear down. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');
export const raiseLimitsSignal = defineSignal<[Partial<Pick<EpisodeLimits, 'max_steps' | 'cost_limit_usd'>>]>('raiseLimits');

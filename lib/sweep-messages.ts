import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SweepStatus } from './sweep';
import type { SweepPlan } from './sweep-spec';

/**
 * The sweep workflow's query and signals, shared by the workflow and the CLI. Their names are part
 * of every recorded history: never rename one.
 */
export const sweepStatusQuery = defineQuery<SweepStatus>('status');
/** Replaces the sweep's spec while it runs: new cells are surveyed then run; settings apply to new starts. */
export const extendSweepSignal = defineSignal<[SweepPlan]>('extend');
/** Re-runs every failed cell as a new attempt (a new episode id; the failed attempt stays in history). */
export const retryFailedSignal = defineSignal('retryFailed');

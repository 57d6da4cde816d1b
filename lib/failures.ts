import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/** Provider failures that no retry can fix: a person must act (set a key, grant access). */
const BLOCKING_TYPES = new Set(['ProviderRejected', 'MissingApiKey']);

/** The reason to block on, when a failed model call is one a person has to fix; else undefined. */
export function blockingReason(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  return err.cause.type && BLOCKING_TYPES.has(err.cause.type) ? err.cause.message : undefined;
}

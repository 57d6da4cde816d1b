import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EpisodeResult, EpisodeStatus } from '../../lib/episode';
import { rootCause } from '../../lib/failures';
import { statusQuery } from '../../lib/episode-messages';
import { say } from './output';
import { workflowUiLink } from './settings';

export type Followed<R> = { ok: true; result: R } | { ok: false; workflowStatus: string; error: string };

/**
 * Waits for a workflow's result, printing `progress()` on stderr whenever it changes (every
 * `pollMs`). Progress that cannot be read (no worker polling yet, between two runs) is skipped:
 * the result decides.
 */
export async function followWorkflow<R>(handle: WorkflowHandle, progress: () => Promise<string>, pollMs: number): Promise<Followed<R>> {
  let done = false;
  let last = '';
  const poll = async () => {
    while (!done) {
      const line = await progress().catch(() => undefined);
      if (line !== undefined && line !== last && !done) say(line);
      last = line ?? last;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  const polling = poll();
  try {
    return { ok: true, result: (await handle.result()) as R };
  } catch (err) {
    done = true;
    const description = await handle.describe().catch(() => undefined);
    return { ok: false, workflowStatus: description?.status.name ?? 'FAILED', error: rootCause(err) };
  } finally {
    done = true;
    await polling;
  }
}

export interface EpisodeOutcome extends Partial<EpisodeResult> {
  episodeId: string;
  uiLink: string;
  /** Temporal's status of the workflow: COMPLETED, FAILED, TERMINATED, ... */
  status: string;
  error?: string;
}

/** One progress line of an episode. */
function episodeLine(episodeId: string, s: EpisodeStatus): string {
  return s.blockedReason
    ? `[${episodeId}] BLOCKED: ${s.blockedReason}\n  fix the cause, then run: mlgym episode resume ${episodeId}`
    : `[${episodeId}] ${s.phase} step ${s.step}/${s.maxSteps} $${s.costUsd.toFixed(4)} best ${s.bestScore ?? 'n/a'}${s.lastAction ? ` | ${s.lastAction.split('\n')[0].slice(0, 60)}` : ''}`;
}

/** Waits for an episode, printing a progress line to stderr whenever its status changes. */
export async function followEpisode(client: Client, episodeId: string, pollMs = 2000): Promise<EpisodeOutcome> {
  const handle = client.workflow.getHandle(episodeId);
  const uiLink = workflowUiLink(episodeId);
  const followed = await followWorkflow<EpisodeResult>(handle, async () => episodeLine(episodeId, await handle.query(statusQuery)), pollMs);
  return followed.ok ? { ...followed.result, uiLink, status: 'COMPLETED' } : { episodeId, uiLink, status: followed.workflowStatus, error: followed.error };
}

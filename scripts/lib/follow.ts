import type { Client } from '@temporalio/client';
import type { EpisodeResult, EpisodeStatus } from '../../lib/episode';
import { statusQuery } from '../../workflows/episode';
import { say } from './output';
import { workflowUiLink } from './settings';

export interface EpisodeOutcome extends Partial<EpisodeResult> {
  episodeId: string;
  uiLink: string;
  /** Temporal's status of the workflow: COMPLETED, FAILED, TERMINATED, ... */
  status: string;
  error?: string;
}

/** Waits for an episode, printing a progress line to stderr whenever its status changes. */
export async function followEpisode(client: Client, episodeId: string, pollMs = 2000): Promise<EpisodeOutcome> {
  const handle = client.workflow.getHandle(episodeId);
  const uiLink = workflowUiLink(episodeId);
  let lastLine = '';
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const s: EpisodeStatus = await handle.query(statusQuery);
        const line = s.blockedReason
          ? `[${episodeId}] BLOCKED: ${s.blockedReason}\n  fix the cause, then run: mlgym episode resume ${episodeId}`
          : `[${episodeId}] ${s.phase} step ${s.step}/${s.maxSteps} $${s.costUsd.toFixed(4)} best ${s.bestScore ?? 'n/a'}${s.lastAction ? ` | ${s.lastAction.split('\n')[0].slice(0, 60)}` : ''}`;
        if (line !== lastLine) say(line);
        lastLine = line;
      } catch {
        // Queries fail while no worker is polling or between runs; the result wait below decides.
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  const polling = poll();
  try {
    const result = (await handle.result()) as EpisodeResult;
    return { ...result, uiLink, status: 'COMPLETED' };
  } catch (err) {
    const description = await handle.describe().catch(() => undefined);
    return { episodeId, uiLink, status: description?.status.name ?? 'FAILED', error: rootCause(err) };
  } finally {
    done = true;
    await polling;
  }
}

/** The innermost message of a failure chain (workflow failed <- activity failed <- the real reason). */
function rootCause(err: unknown): string {
  let current = err as Error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}

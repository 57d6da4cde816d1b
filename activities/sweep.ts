import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { EpisodeResult, EpisodeStatus } from '../lib/episode';
import { SA } from '../lib/search-attributes';
import { mapLimited, settleWithin } from './async';
import { rootCause } from '../lib/failures';
import { outcomeOf, type CellSurvey, type ClosedEpisode, type CellOutcome } from '../lib/sweep';
import { attemptId } from '../lib/sweep-spec';
import { cancelSignal, statusQuery } from '../lib/episode-messages';
import { writeSweepReport } from './report';

/**
 * Activities of the sweep workflow. They look at episodes through a Temporal Client (episodes are
 * the source of truth for what a cell did), so they are built by a factory that gets the Client:
 * the worker passes its own, tests pass the test server's.
 */
export function createSweepActivities(client: Client) {
  return {
    /** Writes the sweep's report (JSON, Markdown, HTML) to the artifact store; the sweep calls it when it ends. */
    writeSweepReport,

    /**
     * What each cell's episodes did: for every cell, its attempts `<cell>`, `<cell>--a2`, ... are
     * described until one is missing; the latest decides the cell's state, all of them its spend.
     */
    async surveySweepCells(input: { cellIds: string[] }): Promise<CellSurvey[]> {
      const ctx = Context.current();
      return mapLimited(input.cellIds, 16, async (cellId) => {
        ctx.heartbeat();
        return surveyCell(client, cellId);
      });
    },

    /**
     * Waits until at least one of the given episodes closes and returns every one closed by then.
     * Used for episodes the current sweep run did not start itself (found running by the survey,
     * carried over a continue-as-new, or already started under the cell's id). Enforces the
     * sweep's wall-clock limit on them with a graceful cancel. Heartbeats; holds one activity slot
     * however many episodes it watches.
     */
    async watchEpisodes(input: { episodes: { cellId: string; episodeId: string }[]; maxTimeMinutes?: number }): Promise<ClosedEpisode[]> {
      const ctx = Context.current();
      const abort = new AbortController();
      const closed: ClosedEpisode[] = [];
      const timers: NodeJS.Timeout[] = [];
      let notify!: () => void;
      const anyClosed = new Promise<void>((resolve) => (notify = resolve));
      const heartbeat = setInterval(() => ctx.heartbeat(), 2000);
      try {
        for (const { cellId, episodeId } of input.episodes) {
          const handle = client.workflow.getHandle(episodeId);
          const watchOne = async (): Promise<void> => {
            while (!abort.signal.aborted) {
              // Long-polls the episode's close event (following continue-as-new); errors fall through
              // to the check below, which tells a closed episode from a hiccup.
              await client.withAbortSignal(abort.signal, () => handle.result()).catch(() => undefined);
              if (abort.signal.aborted) return;
              const seen = await inspectEpisode(client, episodeId).catch(() => undefined);
              if (seen?.kind === 'closed') {
                closed.push({
                  cellId,
                  episodeId,
                  state: seen.outcome ? 'completed' : 'failed',
                  costUsd: seen.costUsd,
                  outcome: seen.outcome,
                  error: seen.error,
                });
                return notify();
              }
              if (seen?.kind === 'missing') {
                closed.push({ cellId, episodeId, state: 'failed', costUsd: 0, error: `episode ${episodeId} does not exist` });
                return notify();
              }
              await new Promise((resolve) => setTimeout(resolve, 1000));
            }
          };
          void watchOne();
          if (input.maxTimeMinutes !== undefined) {
            const limitMs = input.maxTimeMinutes * 60_000;
            void episodeStartMs(client, episodeId).then((startMs) => {
              if (startMs === undefined || abort.signal.aborted) return;
              const delay = Math.max(0, startMs + limitMs - Date.now());
              timers.push(
                setTimeout(
                  () => {
                    handle.signal(cancelSignal, `time limit: ${input.maxTimeMinutes} minutes`).catch(() => undefined);
                  },
                  Math.min(delay, 2 ** 31 - 1),
                ),
              );
            });
          }
        }
        await Promise.race([anyClosed, ctx.cancelled]);
        // Episodes closing together are reported together.
        await new Promise((resolve) => setTimeout(resolve, 300));
        return [...closed];
      } finally {
        abort.abort();
        clearInterval(heartbeat);
        for (const timer of timers) clearTimeout(timer);
      }
    },

    /** USD spent so far by each episode (running: its status query; closed: its result or search attribute). */
    async episodeCosts(input: { episodeIds: string[] }): Promise<Record<string, number>> {
      const costs: Record<string, number> = {};
      await mapLimited(input.episodeIds, 16, async (episodeId) => {
        const seen = await inspectEpisode(client, episodeId);
        costs[episodeId] = seen.kind === 'missing' ? 0 : seen.costUsd;
      });
      return costs;
    },
  };
}

export type SweepActivities = ReturnType<typeof createSweepActivities>;

type Seen =
  { kind: 'missing' } | { kind: 'running'; costUsd: number } | { kind: 'closed'; status: string; costUsd: number; outcome?: CellOutcome; error?: string };

/** One episode as it stands now. Completed episodes give their result; others their cost so far. */
export async function inspectEpisode(client: Client, episodeId: string): Promise<Seen> {
  const handle = client.workflow.getHandle(episodeId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'missing' };
    throw err;
  }
  const recordedCost = Number(description.typedSearchAttributes.get(SA.cost) ?? 0);
  const status = description.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') {
    const settled = await settleWithin(handle.query(statusQuery), 10_000).catch(() => undefined);
    const live = settled?.done ? settled.value : undefined;
    return { kind: 'running', costUsd: (live as EpisodeStatus | undefined)?.costUsd ?? recordedCost };
  }
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as EpisodeResult;
    return { kind: 'closed', status, costUsd: result.costUsd, outcome: outcomeOf(result) };
  }
  const error = await handle.result().then(
    () => status,
    (err: unknown) => `${status}: ${rootCause(err)}`,
  );
  return { kind: 'closed', status, costUsd: recordedCost, error };
}

async function surveyCell(client: Client, cellId: string): Promise<CellSurvey> {
  let closedCostUsd = 0;
  let latest: { attempt: number; seen: Exclude<Seen, { kind: 'missing' }> } | undefined;
  for (let attempt = 1; ; attempt++) {
    const seen = await inspectEpisode(client, attemptId(cellId, attempt));
    if (seen.kind === 'missing') break;
    if (seen.kind === 'closed') closedCostUsd += seen.costUsd;
    latest = { attempt, seen };
  }
  if (!latest) return { cellId, state: 'new', attempt: 0, closedCostUsd: 0, liveCostUsd: 0 };
  const { attempt, seen } = latest;
  if (seen.kind === 'running') return { cellId, state: 'running', attempt, closedCostUsd, liveCostUsd: seen.costUsd };
  if (seen.outcome) return { cellId, state: 'completed', attempt, closedCostUsd, liveCostUsd: 0, outcome: seen.outcome };
  return { cellId, state: 'failed', attempt, closedCostUsd, liveCostUsd: 0, error: seen.error };
}

/** Start time of the first run of an episode's continue-as-new chain (its wall-clock start). */
async function episodeStartMs(client: Client, episodeId: string): Promise<number | undefined> {
  try {
    const latest = await client.workflow.getHandle(episodeId).describe();
    const firstRunId = latest.raw.workflowExecutionInfo?.firstRunId;
    if (!firstRunId || firstRunId === latest.runId) return latest.startTime.getTime();
    return (await client.workflow.getHandle(episodeId, firstRunId).describe()).startTime.getTime();
  } catch {
    return undefined;
  }
}

import type { Client } from '@temporalio/client';
import { fromPayloadsAtIndex } from '@temporalio/common';
import { EpisodeInput, type EpisodeLimits, type EpisodeProgress, type ResumeRequest } from '../../lib/episode';
import { SA } from '../../lib/search-attributes';
import { episodeWorkflow } from '../../workflows/episode';
import { UsageError } from './output';

/** Closed states a resume continues from; a COMPLETED episode has nothing left to do. */
export const RESUMABLE = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED', 'CANCELED']);

export interface ResumedEpisode {
  episodeId: string;
  runId: string;
  fromStep: number;
  lastCompletedStep: number;
  previousRunId: string;
  previousStatus: string;
}

/**
 * Continues a failed, terminated, timed-out or cancelled episode as a new run of the same workflow
 * id (so its artifacts and sandbox labels line up): the episode's input is read back from the
 * history of its last run, and the workflow rebuilds its progress at `fromStep` (default: the last
 * step the episode completed) from the stored artifacts, re-uses or re-creates the sandbox and
 * restores that step's workspace snapshot. Model calls and commands of steps <= fromStep are not
 * made again.
 */
export async function resumeClosedEpisode(client: Client, episodeId: string, options: { fromStep?: number } = {}): Promise<ResumedEpisode> {
  const handle = client.workflow.getHandle(episodeId);
  const description = await handle.describe();
  const status = description.status.name;
  if (!RESUMABLE.has(status)) {
    throw new UsageError(
      status === 'COMPLETED'
        ? `episode ${episodeId} is COMPLETED: there is nothing to resume`
        : `episode ${episodeId} is ${status}: only a failed, terminated, timed-out or cancelled episode is resumed as a new run`,
    );
  }
  // The episode publishes its step after every completed one: the last value is where it stopped.
  const lastCompletedStep = Number(description.typedSearchAttributes.get(SA.step) ?? 0);
  const fromStep = options.fromStep ?? lastCompletedStep;
  if (!Number.isInteger(fromStep) || fromStep < 0) throw new UsageError(`--from-step must be a non-negative integer, not ${options.fromStep}`);
  if (fromStep > lastCompletedStep) {
    throw new UsageError(`episode ${episodeId} completed ${lastCompletedStep} step(s); it cannot resume from step ${fromStep}`);
  }

  // Every run of an episode starts with the same input; continued runs also carry their progress.
  const history = await handle.fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const converter = client.options.loadedDataConverter.payloadConverter;
  const raw = fromPayloadsAtIndex<unknown>(converter, 0, payloads);
  if (raw === undefined) throw new UsageError(`the history of ${episodeId} holds no episode input to resume with`);
  const input = EpisodeInput.parse(raw);
  const carried = fromPayloadsAtIndex<EpisodeProgress | undefined>(converter, 1, payloads);
  const previous = fromPayloadsAtIndex<ResumeRequest | undefined>(converter, 2, payloads);
  const limits: EpisodeLimits | undefined = carried?.limits ?? previous?.limits;

  const request: ResumeRequest = {
    fromStep,
    ...(limits && { limits: { ...input.limits, ...limits } }),
    previousRunId: description.runId,
    previousStatus: status,
  };
  const started = await client.workflow.start(episodeWorkflow, {
    workflowId: episodeId,
    taskQueue: description.taskQueue,
    args: [input, undefined, request],
    // Set from the start, so a resumed run that fails before its first step still tells the next
    // resume where the episode stands.
    typedSearchAttributes: [
      { key: SA.task, value: input.task.id },
      { key: SA.model, value: input.model },
      { key: SA.status, value: 'starting' },
      { key: SA.step, value: fromStep },
      ...(input.sweepId ? [{ key: SA.sweep, value: input.sweepId }] : []),
    ],
    staticSummary: `${input.task.id} with ${input.model}, resumed from step ${fromStep}`,
    staticDetails: `resumed after the run ${description.runId} ended ${status}; max ${input.limits.max_steps} steps, runtime ${input.runtime}`,
  });
  return { episodeId, runId: started.firstExecutionRunId, fromStep, lastCompletedStep, previousRunId: description.runId, previousStatus: status };
}

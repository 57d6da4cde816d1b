import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { fromPayloadsAtIndex } from '@temporalio/common';
import { EpisodeInput } from '../../lib/episode';
import { UsageError } from './output';

/**
 * The input an episode was started with, read from the first event of the first run of its
 * current execution chain (continue-as-new carries the same input on). Only that one event is
 * fetched, however long the history.
 */
export async function episodeInputOf(client: Client, description: WorkflowExecutionDescription): Promise<EpisodeInput> {
  const { workflowId, runId } = description;
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId || runId;
  const history = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: firstRunId },
    maximumPageSize: 1,
  });
  const payloads = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const raw = fromPayloadsAtIndex<unknown>(client.options.loadedDataConverter.payloadConverter, 0, payloads ?? undefined);
  const parsed = EpisodeInput.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${workflowId} was not started with an episode input (is it an episode?)`);
  return parsed.data;
}

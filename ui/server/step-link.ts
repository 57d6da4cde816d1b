import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { workflowUiLink } from '../../scripts/lib/settings';
import { episodeRunsQuery } from './visibility';
import { NotFoundError } from './errors';

/** The activities a step runs, the one that did the step's work first. */
const STEP_ACTIVITIES = ['execCommand', 'evaluateSubmission', 'recordObservation', 'callModel'];
const SCHEDULED = temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;

/**
 * The Temporal UI's page of the activity that ran one step. An episode continues-as-new every
 * `steps_per_run` steps, so the step is looked for in each run's history, newest run first; only
 * the link asked for costs these reads.
 */
export async function stepActivityLink(client: Client, episodeId: string, step: number): Promise<string> {
  const namespace = client.options.namespace;
  const runs = await client.workflowService.listWorkflowExecutions({
    namespace,
    query: episodeRunsQuery(episodeId),
    pageSize: 1000,
  });
  const converter = client.options.loadedDataConverter.payloadConverter;
  for (const run of runs.executions ?? []) {
    const runId = run.execution?.runId ?? '';
    const found = new Map<string, number>();
    for await (const event of historyEvents(client, episodeId, runId)) {
      if (event.eventType !== SCHEDULED) continue;
      const attributes = event.activityTaskScheduledEventAttributes;
      const type = attributes?.activityType?.name ?? '';
      const payload = attributes?.input?.payloads?.[0];
      if (!STEP_ACTIVITIES.includes(type) || found.has(type) || !payload) continue;
      if ((converter.fromPayload(payload) as { step?: unknown }).step === step) found.set(type, Number(event.eventId));
    }
    const eventId = STEP_ACTIVITIES.map((type) => found.get(type)).find((id) => id !== undefined);
    if (eventId !== undefined) return `${workflowUiLink(episodeId)}/${encodeURIComponent(runId)}/history/events/${eventId}`;
  }
  throw new NotFoundError(`step ${step} of episode "${episodeId}" ran no activity this Temporal server still holds`);
}

async function* historyEvents(client: Client, workflowId: string, runId: string) {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      nextPageToken,
    });
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

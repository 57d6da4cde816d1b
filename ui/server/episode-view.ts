import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { EpisodeView, RunningCommand } from '../shared/api';
import type { EpisodeInput, EpisodeStatus } from '../../lib/episode';
import { statusQuery } from '../../lib/episode-messages';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { settleWithin } from '../../activities/async';
import { workflowUiLink } from '../../scripts/lib/settings';
import { readResults, runRowOf, type StoredResults } from './runs';
import { readSteps } from './steps';
import { NotFoundError } from './errors';

/** A running episode whose worker is down answers no query: the page shows it without its live state. */
const QUERY_WAIT_MS = 3_000;

export async function describeEpisode(client: Client, episodeId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await client.workflow.getHandle(episodeId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no episode "${episodeId}" on this Temporal server`);
    throw err;
  }
}

/** The episode's input, from the first event of its current run (every run starts with the input). */
async function episodeInput(client: Client, description: WorkflowExecutionDescription): Promise<Partial<EpisodeInput>> {
  const history = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: description.workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const payload = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? (client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as Partial<EpisodeInput>) : {};
}

/** The running command's last heartbeat: how long it has run and its last line of output. */
function runningCommandOf(client: Client, description: WorkflowExecutionDescription, status: EpisodeStatus | undefined): RunningCommand | undefined {
  const pending = (description.raw.pendingActivities ?? []).find(
    (a) => a.activityType?.name === 'execCommand' || a.activityType?.name === 'evaluateSubmission',
  );
  if (!pending) return undefined;
  const payload = pending.heartbeatDetails?.payloads?.[0];
  const details = (payload ? client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : {}) as Partial<RunningCommand>;
  return {
    ...(status && { step: status.step, command: status.lastAction }),
    ...(typeof details.elapsedSec === 'number' && { elapsedSec: details.elapsedSec }),
    ...(typeof details.outputBytes === 'number' && { outputBytes: details.outputBytes }),
    ...(typeof details.lastLine === 'string' && { lastLine: details.lastLine }),
  };
}

/** What a running episode is doing now; nothing when its worker does not answer in time. */
export async function liveState(client: Client, description: WorkflowExecutionDescription) {
  if (description.status.name !== 'RUNNING') return {};
  const answered = await settleWithin(
    client.workflow
      .getHandle(description.workflowId)
      .query(statusQuery)
      .catch(() => undefined),
    QUERY_WAIT_MS,
  );
  const status = answered.done ? answered.value : undefined;
  const runningCommand = runningCommandOf(client, description, status);
  return {
    ...(status && { phase: status.phase }),
    ...(status?.blockedReason && { blockedReason: status.blockedReason }),
    ...(runningCommand && { runningCommand }),
  };
}

export function summaryOf(description: WorkflowExecutionDescription, results: StoredResults | undefined) {
  return runRowOf(description.raw.workflowExecutionInfo ?? {}, results);
}

/** Everything the episode page shows, from Temporal and the artifact store. */
export async function loadEpisode(client: Client, store: ArtifactStore, episodeId: string): Promise<EpisodeView> {
  const description = await describeEpisode(client, episodeId);
  const running = description.status.name === 'RUNNING';
  const [input, results, steps, live] = await Promise.all([
    episodeInput(client, description),
    running ? undefined : readResults(store, episodeId),
    readSteps(store, episodeId),
    liveState(client, description),
  ]);
  const task = input.task;
  const baseline = results?.baseline ?? task?.baseline_scores?.[0];
  const summary = summaryOf(description, results);
  return {
    summary: {
      ...summary,
      ...(summary.baseline === undefined && task && baseline?.[task.metric.name] !== undefined && { baseline: baseline[task.metric.name] }),
    },
    source: 'temporal',
    metrics: task ? [{ name: task.metric.name, higherIsBetter: task.metric.direction === 'max' }] : [],
    ...(baseline && { baseline }),
    limits: {
      ...(input.limits && { maxSteps: input.limits.max_steps, costLimitUsd: input.limits.cost_limit_usd }),
      ...(input.modelParams?.context_window !== undefined && { contextTokens: input.modelParams.context_window }),
    },
    ...(results?.setup && { setup: results.setup }),
    ...(!results?.setup && input.scale && { setup: { scale: input.scale, conditions: input.conditions ?? 'strict' } }),
    steps,
    ...live,
    temporalUrl: workflowUiLink(episodeId),
  };
}

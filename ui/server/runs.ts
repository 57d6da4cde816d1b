import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import type { RunList, RunListQuery, RunRow } from '../shared/api';
import { episodeKeys } from '../../lib/artifact-keys';
import { SA } from '../../lib/search-attributes';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { mapLimited } from '../../activities/async';
import { WORKFLOW_RUNNING as RUNNING, WORKFLOW_STATUS_NAMES as STATUS_NAMES, earlierRunsQuery, runListQuery } from './visibility';

type RawExecution = temporal.api.workflow.v1.IWorkflowExecutionInfo;

const Scores = z.record(z.string(), z.number());
/** The part of an episode's results.json the viewer reads (finish.ts writes it). */
export const StoredResults = z.object({
  agent: z.array(Scores).default([]),
  baseline: Scores.optional(),
  exit_status: z.string().optional(),
  setup: z.record(z.string(), z.unknown()).optional(),
});
export type StoredResults = z.infer<typeof StoredResults>;

export async function readResults(store: ArtifactStore, episodeId: string): Promise<StoredResults | undefined> {
  const body = await store.tryGet(episodeKeys(episodeId).results);
  if (body === undefined) return undefined;
  const where = store.locate(episodeKeys(episodeId).results);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new Error(`the results of episode ${episodeId} do not read (${where}): ${(err as Error).message}`, { cause: err });
  }
  const parsed = StoredResults.safeParse(json);
  if (!parsed.success) throw new Error(`the results of episode ${episodeId} (${where}) are not an episode's results: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

/** The headline metric is the task's first: the first of the baseline, else of the scores. */
const headline = (results: StoredResults | undefined) => {
  const name = Object.keys(results?.baseline ?? results?.agent.at(-1) ?? {})[0];
  return name === undefined ? {} : { lastScore: results?.agent.at(-1)?.[name], baseline: results?.baseline?.[name] };
};

/** One row of the run list from a visibility record and, once the episode is done, its results. */
export function runRowOf(raw: RawExecution, results: StoredResults | undefined, firstStartMs?: number, nowMs = Date.now()): RunRow {
  const attributes = decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields);
  const running = raw.status === RUNNING;
  const startMs = Math.min(firstStartMs ?? Infinity, optionalTsToMs(raw.startTime) ?? nowMs);
  const closeMs = running ? undefined : optionalTsToMs(raw.closeTime);
  const completed = raw.status === 2;
  // An episode that failed as a workflow never wrote an exit status: its workflow status is the news.
  const status = completed || running ? (attributes.get(SA.status) ?? (running ? 'running' : 'completed')) : (STATUS_NAMES[raw.status ?? 0] ?? 'closed');
  const { lastScore, baseline } = headline(results);
  return {
    episodeId: raw.execution?.workflowId ?? '',
    task: attributes.get(SA.task) ?? '',
    model: attributes.get(SA.model) ?? '',
    ...(attributes.get(SA.sweep) !== undefined && { sweep: attributes.get(SA.sweep) }),
    status,
    running,
    ...((results?.exit_status ?? (completed ? attributes.get(SA.status) : undefined)) !== undefined && {
      exitStatus: results?.exit_status ?? attributes.get(SA.status),
    }),
    ...(attributes.get(SA.bestScore) !== undefined && { bestScore: attributes.get(SA.bestScore) }),
    ...(lastScore !== undefined && { lastScore }),
    ...(baseline !== undefined && { baseline }),
    steps: Number(attributes.get(SA.step) ?? 0),
    costUsd: attributes.get(SA.cost) ?? 0,
    ...(attributes.get(SA.host) !== undefined && { host: attributes.get(SA.host) }),
    startedAt: new Date(startMs).toISOString(),
    ...(closeMs !== undefined && { closedAt: new Date(closeMs).toISOString() }),
    durationSec: Math.max(0, ((closeMs ?? nowMs) - startMs) / 1000),
  };
}

/** Start times of the first runs of episodes that continued-as-new, so a duration covers them all. */
async function firstStarts(client: Client, episodeIds: string[]): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  for (let i = 0; i < episodeIds.length; i += 100) {
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query: earlierRunsQuery(episodeIds.slice(i, i + 100)),
        pageSize: 1000,
        nextPageToken,
      });
      for (const run of page.executions ?? []) {
        const id = run.execution?.workflowId ?? '';
        const ms = optionalTsToMs(run.startTime);
        if (ms !== undefined && ms < (starts.get(id) ?? Infinity)) starts.set(id, ms);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
  }
  return starts;
}

/** One page of the run list, newest first, straight from Temporal's visibility store. */
export async function listRuns(client: Client, store: ArtifactStore, query: RunListQuery): Promise<RunList> {
  const { pageSize, page, ...filters } = query;
  const visibilityQuery = runListQuery(filters);
  const namespace = client.options.namespace;
  const [listed, counted] = await Promise.all([
    client.workflowService.listWorkflowExecutions({
      namespace,
      query: visibilityQuery,
      pageSize,
      nextPageToken: page === undefined ? undefined : Buffer.from(page, 'base64url'),
    }),
    client.workflowService.countWorkflowExecutions({ namespace, query: visibilityQuery }),
  ]);
  const executions = listed.executions ?? [];
  const ids = executions.map((e) => e.execution?.workflowId ?? '');
  const [starts, results] = await Promise.all([
    firstStarts(client, ids),
    // A results.json that does not read leaves its row without scores rather than the page without rows.
    mapLimited(executions, 32, async (e) => (e.status === RUNNING ? undefined : readResults(store, e.execution?.workflowId ?? '').catch(() => undefined))),
  ]);
  const now = Date.now();
  return {
    rows: executions.map((e, i) => runRowOf(e, results[i], starts.get(ids[i]), now)),
    total: Number(counted.count ?? 0),
    ...(listed.nextPageToken?.length && { nextPage: Buffer.from(listed.nextPageToken).toString('base64url') }),
  };
}

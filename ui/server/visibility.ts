import type { RunFilters } from '../shared/api';
import { SA } from '../../lib/search-attributes';

/**
 * The Temporal visibility query of the run list. Every run of an episode is one execution; the
 * runs an episode continued-as-new from are left out, so each episode is one row.
 */
export const EPISODE_WORKFLOW = 'episodeWorkflow';

/** temporal.api.enums.v1.WorkflowExecutionStatus: RUNNING, and the names the viewer shows for all. */
export const WORKFLOW_RUNNING = 1;
export const WORKFLOW_STATUS_NAMES: Record<number, string> = { 1: 'running', 2: 'completed', 3: 'failed', 4: 'canceled', 5: 'terminated', 7: 'timed out' };

/** A string literal of Temporal's SQL-like query language. */
const literal = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const EQUALS: [keyof RunFilters, string][] = [
  ['task', SA.task.name],
  ['model', SA.model.name],
  ['sweep', SA.sweep.name],
  ['status', SA.status.name],
  ['host', SA.host.name],
];

/** Free text matches the start of these: visibility stores keywords whole, it has no substring search. */
const SEARCHED = ['WorkflowId', SA.task.name, SA.model.name, SA.sweep.name, SA.host.name];

export function runListQuery(filters: RunFilters): string {
  const clauses = [`WorkflowType = ${literal(EPISODE_WORKFLOW)}`, `ExecutionStatus != "ContinuedAsNew"`];
  for (const [field, attribute] of EQUALS) {
    const value = filters[field];
    if (value !== undefined) clauses.push(`${attribute} = ${literal(value)}`);
  }
  if (filters.q !== undefined) clauses.push(`(${SEARCHED.map((name) => `${name} STARTS_WITH ${literal(filters.q!)}`).join(' OR ')})`);
  return clauses.join(' AND ');
}

/** The earlier runs of these episodes, for their first start time. */
export function earlierRunsQuery(episodeIds: string[]): string {
  return `WorkflowType = ${literal(EPISODE_WORKFLOW)} AND ExecutionStatus = "ContinuedAsNew" AND WorkflowId IN (${episodeIds.map(literal).join(', ')})`;
}

/** Every run of one episode, newest first. */
export const episodeRunsQuery = (episodeId: string) => `WorkflowType = ${literal(EPISODE_WORKFLOW)} AND WorkflowId = ${literal(episodeId)}`;

export const SWEEP_WORKFLOW = 'sweepWorkflow';

/** Sweeps, one row each; free text matches the start of the sweep's workflow id or name. */
export function sweepListQuery(q?: string): string {
  const clauses = [`WorkflowType = ${literal(SWEEP_WORKFLOW)}`, `ExecutionStatus != "ContinuedAsNew"`];
  if (q !== undefined) clauses.push(`(WorkflowId STARTS_WITH ${literal(q)} OR WorkflowId STARTS_WITH ${literal(`sweep-${q}`)})`);
  return clauses.join(' AND ');
}

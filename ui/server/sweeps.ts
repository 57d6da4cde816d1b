import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { SweepList, SweepView } from '../shared/api';
import { renderReportHtml } from '../../lib/report/render';
import type { SweepReport } from '../../lib/report/sweep-report';
import type { SweepStatus } from '../../lib/sweep';
import { sweepNameOf, sweepWorkflowId } from '../../lib/sweep-spec';
import { sweepReportNow } from '../../scripts/lib/sweeps';
import { UsageError } from '../../scripts/lib/output';
import { workflowUiLink } from '../../scripts/lib/settings';
import { NotFoundError, UnavailableError } from './errors';
import { WORKFLOW_RUNNING as RUNNING, WORKFLOW_STATUS_NAMES as STATUS_NAMES, sweepListQuery } from './visibility';

/** One page of sweeps, newest first, from Temporal's visibility store. */
export async function listSweeps(client: Client, query: { q?: string; pageSize: number; page?: string }): Promise<SweepList> {
  const namespace = client.options.namespace;
  const visibilityQuery = sweepListQuery(query.q);
  const [listed, counted] = await Promise.all([
    client.workflowService.listWorkflowExecutions({
      namespace,
      query: visibilityQuery,
      pageSize: query.pageSize,
      nextPageToken: query.page === undefined ? undefined : Buffer.from(query.page, 'base64url'),
    }),
    client.workflowService.countWorkflowExecutions({ namespace, query: visibilityQuery }),
  ]);
  return {
    rows: (listed.executions ?? []).map((e) => {
      const workflowId = e.execution?.workflowId ?? '';
      const closedMs = e.status === RUNNING ? undefined : optionalTsToMs(e.closeTime);
      return {
        sweepId: sweepNameOf(workflowId),
        workflowId,
        status: STATUS_NAMES[e.status ?? 0] ?? 'unknown',
        running: e.status === RUNNING,
        startedAt: new Date(optionalTsToMs(e.startTime) ?? 0).toISOString(),
        ...(closedMs !== undefined && { closedAt: new Date(closedMs).toISOString() }),
      };
    }),
    total: Number(counted.count ?? 0),
    ...(listed.nextPageToken?.length && { nextPage: Buffer.from(listed.nextPageToken).toString('base64url') }),
  };
}

/** The sweep's report as of now, or a viewer error saying why there is none. */
async function reportOf(client: Client, sweepId: string) {
  const workflowId = sweepWorkflowId(sweepNameOf(sweepId));
  try {
    await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no sweep "${sweepNameOf(sweepId)}" on this Temporal server`);
    throw err;
  }
  try {
    return await sweepReportNow(client, workflowId);
  } catch (err) {
    // The only UsageError left: a sweep that is not completed and whose workers do not answer.
    if (err instanceof UsageError) throw new UnavailableError(err.message);
    throw err;
  }
}

/** Everything the sweep page shows: its cells, budget, costs, exit statuses and AUP (the report's). */
export async function loadSweep(client: Client, sweepId: string): Promise<SweepView> {
  return (await sweepPage(client, sweepId)).view;
}

/** The sweep page's data and the report it was made from. */
export async function sweepPage(client: Client, sweepId: string): Promise<{ view: SweepView; report: SweepReport }> {
  const { workflowId, workflowStatus, status, report } = await reportOf(client, sweepId);
  return { view: sweepViewOf(workflowId, workflowStatus, status, report), report };
}

function sweepViewOf(workflowId: string, workflowStatus: string, status: SweepStatus, report: SweepReport): SweepView {
  const modelOf = new Map(status.models.map((m) => [m.key, m.model]));
  const name = sweepNameOf(workflowId);
  return {
    sweepId: name,
    workflowId,
    workflowStatus: workflowStatus.toLowerCase(),
    running: workflowStatus === 'RUNNING',
    phase: status.phase,
    outcome: report.outcome,
    models: status.models,
    tasks: report.tasks.map((t) => ({
      task: t.task,
      ...(t.name && { name: t.name }),
      metric: t.metric,
      direction: t.direction,
      baseline: t.baseline,
      ...(t.baselineSource && { baselineSource: t.baselineSource }),
      ...(t.setup && { setup: { ...t.setup } }),
      models: t.models,
    })),
    cells: status.cells.map((c) => ({
      id: c.id,
      task: c.task,
      modelKey: c.model,
      model: modelOf.get(c.model) ?? c.model,
      run: c.run,
      state: c.state,
      attempt: c.attempt,
      ...(c.episodeId && { episodeId: c.episodeId }),
      ...(c.exitStatus && { exitStatus: c.exitStatus }),
      ...(c.bestScore !== undefined && { bestScore: c.bestScore }),
      costUsd: c.costUsd,
      ...(c.error && { error: c.error }),
      ...(c.blockedReason && { blockedReason: c.blockedReason }),
    })),
    counts: status.counts,
    budget: status.budget,
    costUsd: status.costUsd,
    costByModel: report.costByModel,
    exitStatusCounts: report.exitStatusCounts,
    exitStatusByModel: report.exitStatusByModel,
    aup: report.aup ? report.aup.summary.map((s) => ({ method: s.method, bestAttemptAup: s.bestAttemptAup, bestSubmissionAup: s.bestSubmissionAup })) : null,
    ...(report.aupError && { aupError: report.aupError }),
    reportUrl: `api/sweeps/${encodeURIComponent(name)}/report.html`,
    temporalUrl: workflowUiLink(workflowId),
  };
}

/** The sweep report's page (AUP table, performance profiles), as `mlgym sweep report` writes it. */
export async function sweepReportHtml(client: Client, sweepId: string): Promise<string> {
  return renderReportHtml((await reportOf(client, sweepId)).report);
}

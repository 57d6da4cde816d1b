import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { renderReportFiles } from '../../lib/report/render';
import { progressLine, type SweepResult, type SweepStatus } from '../../lib/sweep';
import { sweepNameOf, sweepWorkflowId } from '../../lib/sweep-spec';
import { sweepStatusQuery } from '../../lib/sweep-messages';
import { followWorkflow } from '../lib/follow';
import { usage } from '../lib/help';
import { printJson, say, UsageError } from '../lib/output';
import { workflowUiLink } from '../lib/settings';
import { launchSweep, loadSweepPlan, retrySweep, sweepReportNow, sweepStatus, withLiveCosts } from '../lib/sweeps';
import { withClient } from '../lib/temporal-client';
import { checkGpuHosts } from '../lib/fleet';
import { TASK_QUEUE } from '../../config/temporal';
import { runtimeKind } from '../../activities/sandbox/runtimes';

export async function sweepCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { wait: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } },
  });
  const [sub, target] = positionals;
  if (!sub || !target || positionals.length > 2) throw new UsageError(usage('sweep', sub));
  const json = values.json ?? false;
  switch (sub) {
    case 'start': {
      // The spec is checked completely (tasks, models, keys, prices, Docker) before connecting.
      const plan = await loadSweepPlan(target);
      const { warning } = runtimeKind(plan.runtime);
      if (warning) say(warning);
      return withClient(async (client) => {
        await checkGpuHosts(
          client,
          TASK_QUEUE,
          plan.tasks.map((t) => ({ id: t.id, gpus: t.config.resources.gpus })),
        );
        const launch = await launchSweep(client, plan);
        const { workflowId } = launch;
        say(
          launch.alreadyRunning
            ? `${workflowId} is running: sent it the spec (${launch.newCells} new cell(s) of ${launch.cells})`
            : `started ${workflowId}: ${launch.cells} cell(s); finished cells of earlier runs are kept, running ones re-attached`,
        );
        say(`  ${workflowUiLink(workflowId)}`);
        if (values.wait) return await waitForSweep(client, workflowId, json);
        if (json) printJson({ ...launch, uiLink: workflowUiLink(workflowId), status: 'RUNNING' });
        return 0;
      });
    }
    case 'status': {
      return withClient(async (client) => {
        const workflowId = sweepWorkflowId(sweepNameOf(target));
        const { workflowStatus, status } = await sweepStatus(client, target);
        if (json) printJson({ workflowId, workflowStatus, uiLink: workflowUiLink(workflowId), ...(status ?? {}) });
        else printSweep(workflowId, workflowStatus, status);
        return 0;
      });
    }
    case 'retry': {
      return withClient(async (client) => {
        const outcome = await retrySweep(client, target);
        const { workflowId } = outcome;
        if (!outcome.retried) {
          say(`${workflowId} has no failed cells: nothing to retry`);
          if (json) printJson({ ...outcome, uiLink: workflowUiLink(workflowId) });
          return 0;
        }
        const which = outcome.failedCells
          ? `${outcome.failedCells.length} failed cell(s)${outcome.failedCells.length ? `: ${outcome.failedCells.join(', ')}` : ''}`
          : 'the failed cells';
        say(`retrying ${which} in ${workflowId} as new attempts\n  ${workflowUiLink(workflowId)}`);
        if (values.wait) return await waitForSweep(client, workflowId, json);
        if (json) printJson({ ...outcome, uiLink: workflowUiLink(workflowId) });
        return 0;
      });
    }
    case 'report': {
      return withClient(async (client) => {
        const { workflowId, workflowStatus, report } = await sweepReportNow(client, target);
        const outDir = path.resolve(values.out ?? `${workflowId}-report`);
        mkdirSync(outDir, { recursive: true });
        const files = Object.entries(renderReportFiles(report)).map(([name, text]) => {
          const file = path.join(outDir, name);
          writeFileSync(file, text);
          return file;
        });
        say(`${workflowId} (${workflowStatus}, ${report.outcome}): report written to ${outDir}/ (${files.map((f) => path.basename(f)).join(', ')})`);
        if (report.aup)
          for (const s of report.aup.summary)
            say(`  ${s.method.padEnd(24)} best attempt AUP ${s.bestAttemptAup.toFixed(3)}  best submission AUP ${s.bestSubmissionAup.toFixed(3)}`);
        else say(`  AUP not computed: ${report.aupError}`);
        if (json)
          printJson({
            workflowId,
            workflowStatus,
            outcome: report.outcome,
            outDir,
            files,
            aup: report.aup?.summary ?? null,
            costByModel: report.costByModel,
            exitStatusCounts: report.exitStatusCounts,
          });
        return 0;
      });
    }
    default:
      throw new UsageError(usage('sweep'));
  }
}

/** Follows a sweep to its end with a progress line on stderr; the exit code says whether every cell completed. */
async function waitForSweep(client: Client, workflowId: string, json: boolean, pollMs = Number(process.env.MLGYM_POLL_MS ?? 2000)): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  const followed = await followWorkflow<SweepResult>(
    handle,
    async () => {
      const status = await withLiveCosts(client, await handle.query(sweepStatusQuery));
      return `[${workflowId}] ${status.phase === 'surveying' ? 'surveying episodes; ' : ''}${progressLine(status)}`;
    },
    pollMs,
  );
  if (!followed.ok) {
    say(`${workflowId}: ${followed.workflowStatus}: ${followed.error}`);
    if (json) printJson({ workflowId, workflowStatus: followed.workflowStatus, uiLink: workflowUiLink(workflowId), error: followed.error });
    return 1;
  }
  const result = followed.result;
  printSweep(workflowId, 'COMPLETED', result);
  if (json) printJson({ workflowStatus: 'COMPLETED', uiLink: workflowUiLink(workflowId), ...result });
  return result.status === 'completed' ? 0 : 1;
}

function printSweep(workflowId: string, workflowStatus: string, status: SweepStatus | SweepResult | undefined): void {
  if (!status) {
    say(
      `${workflowId}: ${workflowStatus} (no status: is a worker running?); relaunch with \`mlgym sweep start <spec>\` to resume\n  ${workflowUiLink(workflowId)}`,
    );
    return;
  }
  const outcome = 'status' in status ? `, ${status.status}` : '';
  const lines = [
    `${workflowId} (${workflowStatus}${outcome}, run ${status.run}): ${progressLine(status)}`,
    `  ${workflowUiLink(workflowId)}`,
    `  cost by model: ${
      Object.entries(status.costByModel)
        .map(([model, usd]) => `${model} $${usd.toFixed(4)}`)
        .join(', ') || 'n/a'
    }`,
  ];
  for (const cell of status.cells) {
    const score = cell.score ? ` score ${JSON.stringify(cell.score)}` : '';
    const best = cell.bestScore !== undefined ? ` best ${cell.bestScore}` : '';
    const detail =
      cell.state === 'failed'
        ? ` ${cell.error ?? ''}`
        : cell.blockedReason
          ? ` BLOCKED: ${cell.blockedReason} (fix it, then \`mlgym episode resume ${cell.episodeId}\`)`
          : cell.exitStatus
            ? ` ${cell.exitStatus}${score}${best}`
            : '';
    lines.push(`  ${cell.state.padEnd(9)} ${(cell.episodeId ?? cell.id).padEnd(50)} $${cell.costUsd.toFixed(4)}${detail}`);
  }
  say(lines.join('\n'));
}

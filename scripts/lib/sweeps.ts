import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { checkProviderReady } from '../../activities/model/providers';
import { runtimeKind } from '../../activities/sandbox/runtimes';
import { EpisodeLimits, ModelParams, type EpisodeStatus } from '../../lib/episode';
import { formatModelSpec, parseModelSpec } from '../../lib/model-spec';
import { PricingError, resolvePricing } from '../../lib/pricing';
import { sumCosts, type SweepResult, type SweepStatus } from '../../lib/sweep';
import { buildSweepReport, reportInputOf, reportTasksOf, type SweepReport } from '../../lib/report/sweep-report';
import { modelKey, planCells, sweepNameOf, SweepSpec, sweepWorkflowId, type SweepPlan } from '../../lib/sweep-spec';
import { describeIssues } from '../../lib/task-config';
import { statusQuery } from '../../lib/episode-messages';
import { extendSweepSignal, retryFailedSignal, sweepStatusQuery } from '../../lib/sweep-messages';
import { sweepWorkflow } from '../../workflows/sweep';
import type { AgentConfig } from '../../lib/agent-config';
import { loadAgentForEpisodes } from './agent-file';
import { UsageError } from './output';
import { TASK_QUEUE } from '../../config/temporal';
import { checkDataReady, loadTaskAt } from './task-at-scale';

/**
 * Reads and checks a sweep spec, then resolves it into the plan the sweep workflow runs: every
 * task loaded, every model parsed, priced and checked for its key. Everything that can fail does
 * so here, before anything starts, with the field named.
 */
export async function loadSweepPlan(file: string): Promise<SweepPlan> {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid YAML: ${(err as Error).message.split('\n')[0]}`}`,
    );
  }
  const parsed = SweepSpec.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${file}: invalid sweep spec:\n${describeIssues(parsed.error)}`);
  const spec = parsed.data;
  const specDir = path.dirname(path.resolve(file));
  const field = (name: string, err: unknown) => new UsageError(`${file}: ${name}: ${(err as Error).message.split('\n')[0]}`);

  // The agent before the tasks: loading an MLGym task file writes its import, a broken agent must not.
  let agent: AgentConfig | undefined;
  if (spec.agent_config !== undefined) {
    try {
      // Only a history_observations written in the spec replaces the YAML's history processor.
      const written = (raw as { limits?: { history_observations?: unknown } }).limits?.history_observations;
      agent = loadAgentForEpisodes(path.resolve(specDir, spec.agent_config), typeof written === 'number' ? written : undefined);
    } catch (err) {
      throw field('agent_config', err);
    }
  }

  const tasks: SweepPlan['tasks'] = [];
  spec.tasks.forEach((entry, index) => {
    // A path is relative to the spec file; anything else is a task id.
    const asPath = /[/\\]|\.ya?ml$/.test(entry) ? path.resolve(specDir, entry) : entry;
    let task;
    try {
      task = loadTaskAt(asPath, spec);
      checkDataReady(task.config);
    } catch (err) {
      throw field(`tasks.${index}`, err);
    }
    if (tasks.some((t) => t.id === task.config.id)) throw new UsageError(`${file}: tasks.${index}: task id "${task.config.id}" is listed twice`);
    tasks.push({ id: task.config.id, dir: task.dir, config: task.config });
  });

  const { max_time_minutes: maxTimeMinutes, ...episodeLimits } = spec.limits;
  const limits = EpisodeLimits.parse(episodeLimits);
  const models: SweepPlan['models'] = [];
  for (const [index, entry] of spec.models.entries()) {
    const { model: text, id, ...params } = entry;
    try {
      const parsedModel = parseModelSpec(text.startsWith('replay:') ? `replay:${path.resolve(specDir, text.slice('replay:'.length))}` : text);
      const modelParams = ModelParams.parse(params);
      try {
        resolvePricing(parsedModel, modelParams, limits.cost_limit_usd);
      } catch (err) {
        if (!(err instanceof PricingError)) throw err;
        throw new Error(
          `no price known for ${formatModelSpec(parsedModel)}; set input_price_per_mtok and output_price_per_mtok on the model, or limits.cost_limit_usd: 0`,
          { cause: err },
        );
      }
      await checkProviderReady(parsedModel);
      models.push({ key: modelKey({ model: text, id }), model: formatModelSpec(parsedModel), params: modelParams });
    } catch (err) {
      throw field(`models.${index}`, err);
    }
  }
  try {
    await runtimeKind(spec.runtime).checkAvailable();
  } catch (err) {
    throw field('runtime', err);
  }
  return {
    name: spec.name,
    tasks,
    models,
    runs: spec.runs,
    limits,
    ...(maxTimeMinutes !== undefined ? { maxTimeMinutes } : {}),
    concurrency: spec.concurrency,
    ...(spec.budget_usd !== undefined ? { budgetUsd: spec.budget_usd } : {}),
    runtime: spec.runtime,
    eventsPerRun: spec.events_per_run,
    ...(agent && { agent }),
    scale: spec.scale,
    conditions: spec.conditions,
  };
}

export interface LaunchOutcome {
  workflowId: string;
  /** True when a sweep of that name was running and got the spec by signal. */
  alreadyRunning: boolean;
  cells: number;
  /** Cells the running sweep did not know (all of them for a newly started run: its survey decides). */
  newCells: number;
}

/**
 * Starts the sweep, or hands the spec to the running one. A new run of a closed sweep (completed,
 * terminated, crashed) surveys the cells' episodes first, so finished cells are not run again.
 */
export async function launchSweep(client: Client, plan: SweepPlan, taskQueue = TASK_QUEUE): Promise<LaunchOutcome> {
  const workflowId = sweepWorkflowId(plan.name);
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  });
  const cells = planCells(plan);
  let known: Set<string> | undefined;
  if (description?.status.name === 'RUNNING') {
    const status = await handle.query(sweepStatusQuery).catch(() => undefined);
    if (status) known = new Set(status.cells.map((c) => c.id));
  }
  await client.workflow.signalWithStart(sweepWorkflow, {
    workflowId,
    taskQueue,
    args: [plan],
    signal: extendSweepSignal,
    signalArgs: [plan],
    staticSummary: `sweep ${plan.name}: ${plan.tasks.length} task(s) x ${plan.models.length} model(s) x ${plan.runs} run(s)`,
    staticDetails: `concurrency ${plan.concurrency}, budget ${plan.budgetUsd === undefined ? 'none' : `$${plan.budgetUsd}`}, runtime ${plan.runtime}`,
  });
  return {
    workflowId,
    alreadyRunning: description?.status.name === 'RUNNING',
    cells: cells.length,
    newCells: known ? cells.filter((c) => !known.has(c.id)).length : cells.length,
  };
}

/** The spec the sweep's latest run works with: its start input, or the last spec signalled to it. */
export async function latestPlan(client: Client, workflowId: string): Promise<SweepPlan> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const converter = client.options.loadedDataConverter.payloadConverter;
  let plan: SweepPlan | undefined;
  for (const event of history.events ?? []) {
    const started = event.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (started) plan = converter.fromPayload<SweepPlan>(started);
    const signalled = event.workflowExecutionSignaledEventAttributes;
    if (signalled?.signalName === extendSweepSignal.name && signalled.input?.payloads?.[0])
      plan = converter.fromPayload<SweepPlan>(signalled.input.payloads[0]);
  }
  if (!plan) throw new UsageError(`cannot read the spec of ${workflowId} from its history`);
  return plan;
}

export interface RetryOutcome {
  workflowId: string;
  /** Failed cells known before the retry (undefined when the sweep was not running and left no result). */
  failedCells?: string[];
  /** False when the sweep completed without failures: nothing to retry. */
  retried: boolean;
}

/** Re-runs the failed cells of a sweep as new attempts; finished cells are untouched. */
export async function retrySweep(client: Client, idOrName: string, taskQueue = TASK_QUEUE): Promise<RetryOutcome> {
  const workflowId = sweepWorkflowId(sweepNameOf(idOrName));
  const handle = client.workflow.getHandle(workflowId);
  const description = await describeSweep(client, workflowId);
  if (description.status.name === 'RUNNING') {
    const status = await handle.query(sweepStatusQuery).catch(() => undefined);
    await handle.signal(retryFailedSignal);
    return { workflowId, retried: true, failedCells: status?.cells.filter((c) => c.state === 'failed').map((c) => c.id) };
  }
  let failedCells: string[] | undefined;
  if (description.status.name === 'COMPLETED') {
    const result = (await handle.result()) as SweepResult;
    failedCells = result.cells.filter((c) => c.state === 'failed').map((c) => c.id);
    if (!failedCells.length) return { workflowId, retried: false, failedCells };
  }
  // A closed sweep gets a new run of the same id with its latest spec: it surveys, then retries.
  const plan = await latestPlan(client, workflowId);
  await client.workflow.signalWithStart(sweepWorkflow, { workflowId, taskQueue, args: [plan], signal: retryFailedSignal, signalArgs: [] });
  return { workflowId, retried: true, failedCells };
}

export async function describeSweep(client: Client, workflowId: string) {
  return client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`no sweep "${workflowId}" on this server`);
      throw err;
    });
}

/**
 * The sweep's status: its status query (running or closed, as long as a worker is up), or the
 * result of a completed sweep. Running cells get their current spend from their episodes.
 */
export async function sweepStatus(client: Client, idOrName: string): Promise<{ workflowStatus: string; status?: SweepStatus | SweepResult }> {
  const workflowId = sweepWorkflowId(sweepNameOf(idOrName));
  const description = await describeSweep(client, workflowId);
  const handle = client.workflow.getHandle(workflowId);
  const workflowStatus = description.status.name;
  let status: SweepStatus | SweepResult | undefined;
  if (workflowStatus === 'COMPLETED') status = (await handle.result()) as SweepResult;
  else status = await handle.query(sweepStatusQuery).catch(() => undefined);
  if (status && workflowStatus === 'RUNNING') status = await withLiveCosts(client, status);
  return { workflowStatus, status };
}

/** Asks each running cell's episode what it spent so far and folds that into the totals. */
export async function withLiveCosts<T extends SweepStatus>(client: Client, status: T): Promise<T> {
  const cells = await Promise.all(
    status.cells.map(async (cell) => {
      if (cell.state !== 'running' || !cell.episodeId) return cell;
      const live = await client.workflow
        .getHandle(cell.episodeId)
        .query(statusQuery)
        .catch(() => undefined as EpisodeStatus | undefined);
      if (!live) return cell;
      const liveCostUsd = Math.max(cell.liveCostUsd ?? 0, live.costUsd);
      return {
        ...cell,
        liveCostUsd,
        costUsd: cell.costUsd - (cell.liveCostUsd ?? 0) + liveCostUsd,
        ...(live.phase === 'blocked' ? { blockedReason: live.blockedReason ?? 'blocked' } : {}),
      };
    }),
  );
  const totals = sumCosts(cells);
  return {
    ...status,
    cells,
    costUsd: totals.total,
    costByModel: totals.byModel,
    costByTask: totals.byTask,
    budget: { ...status.budget, spentUsd: totals.total },
  };
}

/**
 * The sweep's report as of now (AUP, scores, costs, exit statuses): what `mlgym sweep report` writes
 * and the viewer shows. A running sweep's report is its state so far.
 */
export async function sweepReportNow(
  client: Client,
  idOrName: string,
): Promise<{ workflowId: string; workflowStatus: string; status: SweepStatus | SweepResult; report: SweepReport }> {
  const workflowId = sweepWorkflowId(sweepNameOf(idOrName));
  const { workflowStatus, status } = await sweepStatus(client, idOrName);
  if (!status) throw new UsageError(`${workflowId} is ${workflowStatus} and gave no status (is a worker running?)`);
  const plan = await latestPlan(client, workflowId);
  const report = buildSweepReport(
    reportInputOf(
      {
        sweepId: plan.name,
        tasks: reportTasksOf(plan, status.hostBaselines),
        models: status.models,
        ...(plan.budgetUsd !== undefined ? { budgetUsd: plan.budgetUsd } : {}),
        status,
      },
      new Date().toISOString(),
    ),
  );
  return { workflowId, workflowStatus, status, report };
}

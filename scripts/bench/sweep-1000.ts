/**
 * Scale benchmark: one sweep of N episodes (default 1,000) of a trivial task (tests/fixtures/tasks/guess)
 * on the `local` runtime, with a loopback scripted model that submits at once. Starts its own
 * Temporal dev server, an in-process worker and the loopback LLM server, then prints the wall time,
 * episodes per minute, the process's peak memory (the worker runs in this process: peak sampled
 * RSS and the kernel's VmHWM) and the most history events of any run of the sweep (the sweep
 * continues-as-new, so this must stay under 10,240).
 *
 *   node --import tsx scripts/bench/sweep-1000.ts [--episodes N] [--concurrency C] [--events-per-run E] [--json]
 *
 * Not part of CI: it takes minutes.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { Worker } from '@temporalio/worker';
import { buildWorkers, singleMachineRoles } from '../../workers/main';
import { sweepReportKeys } from '../../lib/report/sweep-report';
import type { SweepResult } from '../../lib/sweep';
import { sweepWorkflowId, type SweepSpecInput } from '../../lib/sweep-spec';
import { launchSweep, loadSweepPlan } from '../lib/sweeps';
import { REPO_ROOT } from '../lib/settings';
import { startFakeLlmServer } from '../../tests/support/fake-llm-server';
import { startTemporal } from '../../tests/support/temporal';

const GUESS_TASK = path.join(REPO_ROOT, 'tests/fixtures/tasks/guess/task.yaml');
const SUBMIT = 'DISCUSSION\nSubmitting the starter answer.\n\n```\nsubmit\n```\n';

function vmHwmMb(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      episodes: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '16' },
      'events-per-run': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const episodes = Number(values.episodes);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(episodes) || episodes < 1 || episodes > 1000) throw new Error('--episodes must be an integer from 1 to 1000 (runs per cell)');
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

  const llm = await startFakeLlmServer();
  llm.setResponder(() => SUBMIT);
  const artifactsDir = mkdtempSync(path.join(tmpdir(), 'mlgym-bench-artifacts-'));
  Object.assign(process.env, {
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: 'sk-bench-loopback',
    MLGYM_ARTIFACTS: artifactsDir,
    MLGYM_MODEL_TIMEOUT_MS: '10000',
  });
  log('starting the Temporal dev server');
  const env = await startTemporal();
  const taskQueue = `bench-${process.pid}`;
  const worker = await buildWorkers(env.nativeConnection, 'default', env.client, taskQueue, singleMachineRoles(false), {
    maxConcurrentActivityTaskExecutions: 20,
  });
  const running = worker.run();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);

  const name = `bench-${episodes}-${Date.now()}`;
  const spec: SweepSpecInput = {
    name,
    tasks: [GUESS_TASK],
    models: [{ model: 'openai:gpt-4o', input_price_per_mtok: 2.5, output_price_per_mtok: 10 }],
    runs: episodes,
    limits: { max_steps: 3 },
    concurrency,
    runtime: 'local',
    ...(values['events-per-run'] ? { events_per_run: Number(values['events-per-run']) } : {}),
  };
  const specFile = path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-bench-spec-')), 'sweep.yaml');
  writeFileSync(specFile, YAML.stringify(spec));
  const plan = await loadSweepPlan(specFile);

  let result: SweepResult | undefined;
  let runs: { runId: string; historyLength: number }[] = [];
  const started = Date.now();
  try {
    log(`sweep ${name}: ${episodes} episode(s), concurrency ${concurrency}, runtime local`);
    await launchSweep(env.client, plan, taskQueue);
    const handle = env.client.workflow.getHandle(sweepWorkflowId(name));
    const progress = setInterval(() => {
      void handle
        .query('status')
        .then((s) => {
          const c = (s as SweepResult).counts;
          log(
            `${((Date.now() - started) / 1000).toFixed(0)} s: ${c.completed + c.failed}/${c.total} done, ${c.running} running, run ${(s as SweepResult).run}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
          );
        })
        .catch(() => undefined);
    }, 15_000);
    try {
      result = (await handle.result()) as SweepResult;
    } finally {
      clearInterval(progress);
    }
    const wallMs = Date.now() - started;
    // Every run of the sweep's continue-as-new chain, with its history length.
    for await (const info of env.client.workflow.list({ query: `WorkflowId = '${sweepWorkflowId(name)}'` })) {
      runs.push({ runId: info.runId, historyLength: info.historyLength });
    }
    runs = runs.sort((a, b) => b.historyLength - a.historyLength);
    clearInterval(sampler);
    // What a worker restart costs: replaying the largest run of the sweep from scratch.
    let replaySeconds: number | undefined;
    if (runs[0]) {
      const history = await env.client.workflow.getHandle(sweepWorkflowId(name), runs[0].runId).fetchHistory();
      const replayStart = Date.now();
      await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history);
      replaySeconds = Math.round((Date.now() - replayStart) / 100) / 10;
    }
    const reportHtml = path.join(artifactsDir, sweepReportKeys(name).html);
    const figures = {
      episodes,
      concurrency,
      completed: result.counts.completed,
      failed: result.counts.failed,
      sweepStatus: result.status,
      exitStatuses: result.cells.reduce<Record<string, number>>(
        (acc, c) => ((acc[c.exitStatus ?? c.state] = (acc[c.exitStatus ?? c.state] ?? 0) + 1), acc),
        {},
      ),
      wallSeconds: Math.round(wallMs / 100) / 10,
      episodesPerMinute: Math.round((episodes / (wallMs / 60_000)) * 10) / 10,
      workerPeakRssMb: Math.round(peakRss / 2 ** 20),
      workerVmHwmMb: Math.round(vmHwmMb() ?? NaN),
      sweepRuns: runs.length,
      maxEventsPerRun: runs[0]?.historyLength ?? 0,
      eventsPerRunLimit: plan.eventsPerRun,
      underTemporalLimit: (runs[0]?.historyLength ?? 0) < 10_240,
      largestRunReplaySeconds: replaySeconds,
      reportHtmlKb: existsSync(reportHtml) ? Math.round(statSync(reportHtml).size / 1024) : undefined,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else {
      process.stdout.write(
        [
          `episodes:            ${figures.episodes} (${figures.completed} completed, ${figures.failed} failed; sweep ${figures.sweepStatus})`,
          `exit statuses:       ${JSON.stringify(figures.exitStatuses)}`,
          `wall time:           ${figures.wallSeconds} s`,
          `episodes per minute: ${figures.episodesPerMinute}`,
          `worker peak memory:  ${figures.workerPeakRssMb} MB RSS sampled, VmHWM ${figures.workerVmHwmMb} MB (worker, client and LLM server share this process)`,
          `sweep runs:          ${figures.sweepRuns} (continue-as-new every ${figures.eventsPerRunLimit} events)`,
          `max events per run:  ${figures.maxEventsPerRun} (${figures.underTemporalLimit ? 'under' : 'NOT under'} 10,240)`,
          `replay of that run:  ${figures.largestRunReplaySeconds ?? '?'} s (what a worker restart mid-run costs)`,
          `sweep report:        ${figures.reportHtmlKb === undefined ? 'missing' : `report.html ${figures.reportHtmlKb} KB in the artifact store`}`,
        ].join('\n') + '\n',
      );
    }
    if (!figures.underTemporalLimit || figures.failed > 0) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    worker.shutdown();
    await running;
    await env.teardown();
    await llm.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

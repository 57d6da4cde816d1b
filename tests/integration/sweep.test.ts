import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { SA } from '../../lib/search-attributes';
import type { SweepResult, SweepStatus } from '../../lib/sweep';
import type { SweepReport } from '../../lib/report/sweep-report';
import { sweepWorkflowId, type SweepSpecInput } from '../../lib/sweep-spec';
import { launchSweep, loadSweepPlan } from '../../scripts/lib/sweeps';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { statusQuery as episodeStatusQuery } from '../../lib/episode-messages';
import { sweepStatusQuery } from '../../lib/sweep-messages';
import type { RecordedRequest, ScriptItem } from '../support/fake-llm-server';
import { GUESS_TASK, reply, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { type CliRun, runMlgymCli } from '../support/processes';

/**
 * Sweeps end to end on a real Temporal dev server with an in-process worker, the loopback LLM
 * server and the local runtime. Every model request is attributed to the episode that sent it
 * (its sandbox path is in the prompt), so "finished cells are not run again" is checked against
 * the LLM server's own request log.
 */
let h: EpisodeHarness;
const specDir = mkdtempSync(path.join(tmpdir(), 'mlgym-sweeps-'));

/** How an episode answers its n-th model call (1-based). */
type Behaviour = (episodeId: string, call: number) => ScriptItem | Promise<ScriptItem>;
let behaviour: Behaviour = () => reply('submit');
const calls = new Map<string, number>();

function episodeOf(request: RecordedRequest): string {
  const match = /sandboxes\/([A-Za-z0-9_.-]+?)-[0-9a-f]{8}\/workspace/.exec(JSON.stringify(request.body));
  return match ? match[1] : '?';
}
const requestsOf = (episodeId: string, since = 0) => h.llm.requests.slice(since).filter((r) => episodeOf(r) === episodeId);
const episodesCalledSince = (since: number) => [...new Set(h.llm.requests.slice(since).map(episodeOf))].sort();

before(async () => {
  h = await startEpisodeHarness();
  h.llm.setResponder(async (request) => {
    const episodeId = episodeOf(request);
    const call = (calls.get(episodeId) ?? 0) + 1;
    calls.set(episodeId, call);
    return behaviour(episodeId, call);
  });
});
after(async () => {
  await h?.stop();
});

function writeSpec(spec: SweepSpecInput): string {
  const file = path.join(specDir, `${spec.name}-${Date.now()}.yaml`);
  writeFileSync(file, YAML.stringify(spec));
  return file;
}

const baseSpec = (name: string, extra: Partial<SweepSpecInput> = {}): SweepSpecInput => ({
  name,
  tasks: [GUESS_TASK],
  models: ['openai:gpt-4o'],
  runs: 2,
  limits: { max_steps: 5 },
  concurrency: 2,
  runtime: 'local',
  ...extra,
});

async function start(spec: SweepSpecInput) {
  const plan = await loadSweepPlan(writeSpec(spec));
  return launchSweep(h.env.client, plan, h.taskQueue);
}

const sweepHandle = (name: string) => h.env.client.workflow.getHandle(sweepWorkflowId(name));
const result = (name: string) => sweepHandle(name).result() as Promise<SweepResult>;

async function waitForStatus(name: string, until: (s: SweepStatus) => boolean, timeoutMs = 60_000): Promise<SweepStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await sweepHandle(name)
      .query(sweepStatusQuery)
      .catch(() => undefined);
    if (status && until(status)) return status;
    if (Date.now() > deadline) throw new Error(`sweep ${name}: condition not met; last status ${JSON.stringify(status?.counts)}`);
    await sleep(150);
  }
}

/** Episode ids of the child workflows a given run of a sweep started. */
async function childStarts(name: string, runId?: string): Promise<string[]> {
  const history = await h.env.client.workflow.getHandle(sweepWorkflowId(name), runId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? ''] : [],
  );
}

/** The run id of a workflow the sweep has asked to start, waiting until the server has it. */
async function runIdOnceStarted(workflowId: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await h.env.client.workflow.getHandle(workflowId).describe()).runId;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await h.env.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function mlgym(args: string[]): Promise<CliRun> {
  return runMlgymCli(args, { TEMPORAL_ADDRESS: h.env.address, MLGYM_TASK_QUEUE: h.taskQueue, MLGYM_POLL_MS: '300' });
}

/** Most episodes overlapping in time, from the server's start and close times of each episode. */
async function maxOverlap(episodeIds: string[]): Promise<number> {
  const spans = await Promise.all(
    episodeIds.map(async (id) => {
      const d = await h.env.client.workflow.getHandle(id).describe();
      return [d.startTime.getTime(), d.closeTime?.getTime() ?? Infinity] as const;
    }),
  );
  const points = spans.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of points) most = Math.max(most, (now += delta));
  return most;
}

describe('sweeps', () => {
  test('mlgym sweep start --wait --json runs 2 models x 2 runs to completion, at most `concurrency` at once; status and costs', async () => {
    behaviour = () => ({ text: reply('submit'), usage: { inputTokens: 2000, outputTokens: 100 } });
    const spec = path.join(REPO_ROOT, 'tests/fixtures/sweeps/guess-2x2.yaml');
    const run = await mlgym(['sweep', 'start', spec, '--wait', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /started sweep-guess-2x2/);
    assert.match(run.stderr, /http:\/\/localhost:8233\/namespaces\/default\/workflows\/sweep-guess-2x2/);
    assert.match(run.stderr, /\[sweep-guess-2x2\] \d\/4 done/);
    const out = JSON.parse(run.stdout) as SweepResult & { workflowStatus: string };
    assert.equal(out.workflowStatus, 'COMPLETED');
    assert.equal(out.status, 'completed');
    assert.deepEqual(out.counts, { total: 4, pending: 0, running: 0, completed: 4, failed: 0 });
    assert.deepEqual(out.cells.map((c) => c.id).sort(), [
      'guess-2x2--guess--openai-gpt-4o--r1',
      'guess-2x2--guess--openai-gpt-4o--r2',
      'guess-2x2--guess--openai-gpt-4o-mini--r1',
      'guess-2x2--guess--openai-gpt-4o-mini--r2',
    ]);
    for (const cell of out.cells) {
      assert.equal(cell.exitStatus, 'submitted');
      assert.deepEqual(cell.score, { Score: -4 });
      assert.ok(cell.costUsd > 0);
    }
    // Cost per cell, per model and in total: gpt-4o costs more than gpt-4o-mini for the same usage.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(out.costUsd - sum(out.cells.map((c) => c.costUsd))) < 1e-5);
    assert.ok(Math.abs(out.costByModel['openai-gpt-4o'] - (2 * (2000 * 2.5 + 100 * 10)) / 1e6) < 1e-6, JSON.stringify(out.costByModel));
    assert.ok(out.costByModel['openai-gpt-4o'] > out.costByModel['openai-gpt-4o-mini']);
    assert.equal(out.budget.limitUsd, 10);
    assert.equal(out.budget.exhausted, false);

    const ids = out.cells.map((c) => c.episodeId!);
    assert.ok((await maxOverlap(ids)) <= 2, 'never more than `concurrency` episodes at once');
    const episode = await h.env.client.workflow.getHandle(ids[0]).describe();
    assert.equal(episode.typedSearchAttributes.get(SA.sweep), 'guess-2x2');

    const status = await mlgym(['sweep', 'status', 'guess-2x2', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as SweepResult & { workflowStatus: string };
    assert.equal(report.workflowStatus, 'COMPLETED');
    assert.equal(report.counts.completed, 4);
    assert.equal(report.costUsd, out.costUsd);
  });

  test('a machine-dependent baseline is measured on the workers after the cells, and the report scores AUP against it', async () => {
    // The guess task whose small scale declares its baseline machine-dependent, with a starter command.
    const taskDir = mkdtempSync(path.join(tmpdir(), 'mlgym-host-baseline-'));
    cpSync(path.dirname(GUESS_TASK), taskDir, { recursive: true });
    const yaml = readFileSync(path.join(taskDir, 'task.yaml'), 'utf8');
    writeFileSync(
      path.join(taskDir, 'task.yaml'),
      `${yaml}baseline_command: echo 9 > answer.txt\nscales:\n  small:\n    baseline_scores: [{Score: -4}]\n    baseline_per_host: true\n`,
    );
    behaviour = () => reply('submit');
    const before = h.llm.requests.length;
    const name = `host-baseline-${Date.now()}`;
    await start(baseSpec(name, { tasks: [path.join(taskDir, 'task.yaml')], runs: 1, scale: 'small' }));
    const out = await result(name);
    assert.equal(out.counts.completed, 1);
    const measured = out.hostBaselines?.guess;
    // The secret is 7: the starter command's 9 scores -2, not the declared -4.
    assert.deepEqual(measured, { episodeId: `${name}--guess--host-baseline`, state: 'measured', scores: { Score: -2 } });
    assert.equal(requestsOf(measured.episodeId, before).length, 0, 'the measurement asks no model');
    const episode = await h.env.client.workflow.getHandle(measured.episodeId).describe();
    assert.equal(episode.typedSearchAttributes.get(SA.model), 'starter:echo 9 > answer.txt');

    const report = JSON.parse(readFileSync(path.join(h.artifactsDir, 'sweeps', name, 'report.json'), 'utf8')) as SweepReport;
    assert.equal(report.tasks[0].baseline, -2);
    assert.match(report.tasks[0].baselineSource ?? '', /measured on this sweep's workers/);
    assert.deepEqual(report.tasks[0].setup, { scale: 'small', conditions: 'strict', gpus: 0, network: false });
    assert.deepEqual(report.bestAttempt.rows[0].scores, [-2, -4]);
  });

  test('concurrency bounds the episodes running at once (observed while they run)', async () => {
    let active = 0;
    let most = 0;
    behaviour = async (_id, call) => {
      if (call === 1) {
        active += 1;
        most = Math.max(most, active);
        return reply('sleep 1');
      }
      active -= 1;
      return reply('submit');
    };
    await start(baseSpec('bounded', { runs: 5, concurrency: 3 }));
    const observed: number[] = [];
    const poll = (async () => {
      for (;;) {
        const s = await sweepHandle('bounded')
          .query(sweepStatusQuery)
          .catch(() => undefined);
        if (s) observed.push(s.counts.running);
        if (s?.phase === 'done' || (s && s.counts.completed === 5)) return;
        await sleep(100);
      }
    })();
    const done = await result('bounded');
    await poll;
    assert.equal(done.counts.completed, 5);
    assert.ok(Math.max(...observed) <= 3, `status showed ${Math.max(...observed)} running`);
    assert.ok(most <= 3 && most >= 2, `${most} episodes were between their first and last model call at once`);
    assert.ok((await maxOverlap(done.cells.map((c) => c.episodeId!))) <= 3);
  });

  test('terminated mid-way and relaunched: finished cells get no model request, running ones are re-attached', async () => {
    const name = 'resume';
    // r1 and r2 submit at once; r3 and r4 run a command first, so they are running at the terminate.
    behaviour = (id, call) => (/--r[34]$/.test(id) && call === 1 ? reply('sleep 3') : reply('submit'));
    const spec = baseSpec(name, { runs: 4, concurrency: 2 });
    await start(spec);
    await waitForStatus(name, (s) => s.counts.completed === 2 && s.counts.running === 2);
    const r3 = `${name}--guess--openai-gpt-4o--r3`;
    const r4 = `${name}--guess--openai-gpt-4o--r4`;
    // A cell shows as running once the sweep has asked for its episode, a moment before the server has started it.
    const runIds = { r3: await runIdOnceStarted(r3), r4: await runIdOnceStarted(r4) };
    await sweepHandle(name).terminate('test: the sweep is killed mid-way');

    const since = h.llm.requests.length;
    const launch = await start(spec);
    assert.equal(launch.alreadyRunning, false);
    const done = await result(name);
    assert.equal(done.status, 'completed');
    assert.equal(done.counts.completed, 4);
    for (const run of [1, 2])
      assert.equal(requestsOf(`${name}--guess--openai-gpt-4o--r${run}`, since).length, 0, `r${run} finished before: no new model request`);
    // r3 and r4 went on in the same workflow runs: one `sleep` and one `submit` each, in all.
    assert.equal(requestsOf(r3).length, 2);
    assert.equal(requestsOf(r4).length, 2);
    assert.equal((await h.env.client.workflow.getHandle(r3).describe()).runId, runIds.r3);
    assert.equal((await h.env.client.workflow.getHandle(r4).describe()).runId, runIds.r4);
    assert.equal(await exists(`${r3}--a2`), false);
    assert.deepEqual(await childStarts(name), [], 'the relaunched run started no episode');
    for (const cell of done.cells) assert.ok(cell.costUsd > 0, `${cell.id} keeps its cost`);

    // Relaunching a completed sweep with an extra model runs only the new cells.
    const since2 = h.llm.requests.length;
    await start({ ...spec, models: ['openai:gpt-4o', 'openai:gpt-4o-mini'] });
    const extended = await result(name);
    assert.equal(extended.counts.completed, 8);
    assert.deepEqual(
      episodesCalledSince(since2),
      [1, 2, 3, 4].map((r) => `${name}--guess--openai-gpt-4o-mini--r${r}`),
    );
    assert.deepEqual(
      (await childStarts(name)).sort(),
      [1, 2, 3, 4].map((r) => `${name}--guess--openai-gpt-4o-mini--r${r}`),
    );
    assert.deepEqual(Object.keys(extended.costByModel).sort(), ['openai-gpt-4o', 'openai-gpt-4o-mini']);
  });

  test('a running sweep gets added runs by signal, without a new run', async () => {
    const name = 'grow';
    behaviour = (id, call) => (id.endsWith('--r1') && call === 1 ? reply('sleep 2') : reply('submit'));
    const spec = baseSpec(name, { runs: 1 });
    const first = await start(spec);
    assert.equal(first.alreadyRunning, false);
    await waitForStatus(name, (s) => s.counts.running === 1);
    const second = await start({ ...spec, runs: 3 });
    assert.equal(second.alreadyRunning, true);
    assert.equal(second.newCells, 2);
    const done = await result(name);
    assert.equal(done.counts.completed, 3);
    assert.equal(done.run, 1);
    assert.equal((await childStarts(name)).length, 3, 'each cell started once, all by the first run');
  });

  test('a failed cell is retried as a new attempt; finished cells are untouched', async () => {
    const name = 'retry';
    const r2 = `${name}--guess--openai-gpt-4o--r2`;
    // The provider rejects r2 (401): the episode blocks until someone acts; here they terminate it.
    behaviour = (id) => (id === r2 ? { fault: 'status', status: 401 } : reply('submit'));
    await start(baseSpec(name, { runs: 3, concurrency: 3 }));
    const episode = h.env.client.workflow.getHandle(r2);
    for (let i = 0; ; i++) {
      const s = await episode.query(episodeStatusQuery).catch(() => undefined);
      if (s?.phase === 'blocked') break;
      assert.ok(i < 300, 'r2 did not block on the 401');
      await sleep(100);
    }
    const blocked = await mlgym(['sweep', 'status', name]);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stderr, /1 running \(1 blocked/);
    assert.match(blocked.stderr, /BLOCKED: .*401/);
    await episode.terminate('test: the blocked episode is given up');
    const failed = await result(name);
    assert.equal(failed.status, 'completed_with_failures');
    assert.deepEqual(failed.counts, { total: 3, pending: 0, running: 0, completed: 2, failed: 1 });
    const bad = failed.cells.find((c) => c.state === 'failed')!;
    assert.equal(bad.id, r2);
    assert.match(bad.error ?? '', /terminated/i);

    const since = h.llm.requests.length;
    const retry = await mlgym(['sweep', 'retry', name, '--wait', '--json']);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stderr, /retrying 1 failed cell\(s\): retry--guess--openai-gpt-4o--r2/);
    const out = JSON.parse(retry.stdout) as SweepResult;
    assert.equal(out.status, 'completed');
    const cell = out.cells.find((c) => c.id === bad.id)!;
    assert.equal(cell.attempt, 2);
    assert.equal(cell.episodeId, `${bad.id}--a2`);
    assert.equal(cell.exitStatus, 'submitted');
    // Only the new attempt called the model; the failed attempt stays in history.
    assert.deepEqual(episodesCalledSince(since), [`${bad.id}--a2`]);
    assert.equal((await h.env.client.workflow.getHandle(bad.id).describe()).status.name, 'TERMINATED');
    assert.deepEqual(await childStarts(name), [`${bad.id}--a2`]);
  });

  test('the budget stops new starts once finished plus running episodes reach it, and the status says so', async () => {
    const name = 'budget';
    // Each episode's first call costs $0.26 (gpt-4o: 100k in, 1k out); r1 finishes well before r2.
    behaviour = (id, call) =>
      call === 1 ? { text: reply(id.endsWith('--r1') ? 'sleep 1' : 'sleep 4'), usage: { inputTokens: 100_000, outputTokens: 1000 } } : reply('submit');
    await start(baseSpec(name, { runs: 4, concurrency: 2, budget_usd: 0.5 }));
    // When r1 ends, $0.26 is finished and r2 (running) has spent $0.26: no third episode starts.
    const draining = await waitForStatus(name, (s) => s.budget.exhausted);
    assert.equal(draining.phase, 'budget_exhausted');
    assert.equal(draining.counts.running, 1, 'r2 still running when the budget stopped new starts');
    assert.match(draining.budget.message ?? '', /budget of \$0\.50 reached .* no new episode starts; 2 cell\(s\) not started/);
    const done = await result(name);
    assert.equal(done.status, 'budget_exhausted');
    assert.deepEqual(done.counts, { total: 4, pending: 2, running: 0, completed: 2, failed: 0 });
    assert.equal(done.budget.notStarted, 2);
    assert.ok(done.costUsd >= 0.5);
    assert.equal(await exists(`${name}--guess--openai-gpt-4o--r3`), false);
  });

  test('the wall-clock limit per episode cancels it gracefully (autosubmission)', async () => {
    const name = 'clock';
    // The 3 s limit falls inside `sleep 5`: the episode ends after that step instead of asking again.
    behaviour = (_id, call) => (call === 1 ? reply('echo 6 > answer.txt') : call === 2 ? reply('sleep 5') : reply('submit'));
    await start(baseSpec(name, { runs: 1, limits: { max_steps: 5, max_time_minutes: 0.05 } }));
    const done = await result(name);
    const [cell] = done.cells;
    assert.equal(cell.exitStatus, 'autosubmission (exit_cancel)');
    assert.deepEqual(cell.score, { Score: -1 }, 'the artefact written before the limit was scored');
    assert.equal(requestsOf(cell.episodeId!).length, 2, 'no model call after the limit');
  });

  test('continue-as-new carries the cell table; running episodes are re-attached, none runs twice', async () => {
    const name = 'long';
    behaviour = (_id, call) => (call === 1 ? reply('sleep 1') : reply('submit'));
    // Six cells take about 40 events when no two episodes end in the same workflow task, fewer
    // when some do: a budget well below that makes the sweep continue as new however they finish.
    const eventsPerRun = 25;
    await start(baseSpec(name, { runs: 6, concurrency: 2, events_per_run: eventsPerRun }));
    const done = await result(name);
    assert.equal(done.counts.completed, 6);
    assert.ok(done.run > 1, `the sweep continued as new (run ${done.run})`);
    for (const cell of done.cells) {
      assert.equal(cell.attempt, 1);
      assert.equal(requestsOf(cell.episodeId!).length, 2, `${cell.id} ran once`);
    }
    // Walk the chain of runs back from the last one; each run's history stays near its event budget.
    const starts: string[] = [];
    let runId: string | undefined = (await sweepHandle(name).describe()).runId;
    let runs = 0;
    while (runId) {
      const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await h.env.client.workflow.getHandle(sweepWorkflowId(name), runId).fetchHistory();
      const events = history.events ?? [];
      assert.ok(events.length < eventsPerRun + 30, `run ${runId} has ${events.length} events`);
      starts.push(...(await childStarts(name, runId)));
      runs += 1;
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    assert.equal(runs, done.run);
    assert.equal(starts.length, 6, 'each cell was started once over all runs');
  });
});

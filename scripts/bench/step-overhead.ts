/**
 * What one agent step costs beyond the command itself: episodes of N steps whose command is
 * `true`, their replies replayed with zero latency, in a Docker sandbox, against one raw `docker exec`
 * round trip measured in the same run on the same image, between the episodes. Starts the Docker
 * engine (provisioning scripts), its own Temporal dev server and an in-process worker, then prints:
 *   - per round (one episode): the raw `docker exec true` round trip (median of the samples before
 *     and after it), the step time (median interval between successive model calls, steady state)
 *     and their ratio; then the medians over the rounds,
 *   - where a step's time goes: per activity, time in the task queue and running; per workflow
 *     task; the sandbox calls (docker exec, archive copies) each step makes and their time.
 *
 *   node --import tsx scripts/bench/step-overhead.ts [--steps N] [--rounds N] [--json]
 *
 * Not part of CI: a measurement, not a test (the figures depend on the machine).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDockerSandbox, DockerRuntime } from '../../activities/sandbox/docker';
import { dockerClient } from '../../activities/sandbox/docker-client';
import { EpisodeInput } from '../../lib/episode';
import { startTemporal } from '../../tests/support/temporal';
import { episodeWorkflow } from '../../workflows/episode';
import { buildWorkers, singleMachineRoles } from '../../workers/main';
import { REPO_ROOT } from '../lib/settings';
import { GUESS_TASK, log, median, stepIntervalsMs, writeReplay } from './episodes';
import { loadTask } from '../lib/tasks';

const round1 = (ms: number) => Math.round(ms * 10) / 10;
const ratioOf = (stepMs: number, rawMs: number) => Math.round((stepMs / rawMs) * 100) / 100;

/** Counts and times every call the worker makes on the Docker runtime (exec, copyIn, copyOut, ...). */
function instrumentRuntime(): Map<string, number[]> {
  const calls = new Map<string, number[]>();
  const proto = DockerRuntime.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['exec', 'copyIn', 'copyOut', 'writeEntries'] as const) {
    const original = proto[name];
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      const started = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        const list = calls.get(name) ?? [];
        list.push(performance.now() - started);
        calls.set(name, list);
      }
    };
  }
  return calls;
}

/** Raw round trips: `docker exec true` on a running container of the task's image, through the same API. */
async function rawExecRoundTrips(rounds: number): Promise<number[]> {
  const task = loadTask(GUESS_TASK);
  const episodeId = `bench-raw-${process.pid}`;
  const handle = await createDockerSandbox({ episodeId, task: task.config, taskDir: task.dir });
  const container = dockerClient().getContainer(handle.containerId!);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
        stream.resume();
      });
      await exec.inspect();
      times.push(performance.now() - started);
    }
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
  return times.slice(2);
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Per activity type: median time scheduled -> started (queue) and started -> completed (running). */
function activityTimes(events: HistoryEvent[]) {
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  const byType = new Map<string, { queue: number[]; run: number[] }>();
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    if (e.activityTaskStartedEventAttributes) started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), at);
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      const st = started.get(String(done.scheduledEventId));
      if (!s || st === undefined) continue;
      const entry = byType.get(s.type) ?? { queue: [], run: [] };
      entry.queue.push(st - s.at);
      entry.run.push(at - st);
      byType.set(s.type, entry);
    }
  }
  return [...byType].map(([type, t]) => ({ activity: type, count: t.run.length, queueMs: round1(median(t.queue)), runMs: round1(median(t.run)) }));
}

/** Median workflow task: scheduled -> completed, and its parts: in the queue, then on the worker (new events, commands). */
function workflowTaskTimes(events: HistoryEvent[]) {
  const scheduledAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const times: number[] = [];
  const queued: number[] = [];
  const worked: number[] = [];
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    if (e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), at);
    if (e.workflowTaskStartedEventAttributes) startedAt.set(String(e.eventId), at);
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) {
      const s = scheduledAt.get(String(done.scheduledEventId));
      const st = startedAt.get(String(done.startedEventId));
      if (s !== undefined) times.push(at - s);
      if (s !== undefined && st !== undefined) {
        queued.push(st - s);
        worked.push(at - st);
      }
    }
  }
  return { count: times.length, medianMs: round1(median(times)), queueMs: round1(median(queued)), workerMs: round1(median(worked)) };
}

/** One episode of `steps` steps of `true`: its step intervals (steady state) and its history. */
async function timeEpisode(env: TestWorkflowEnvironment, taskQueue: string, traj: string, steps: number) {
  const task = loadTask(GUESS_TASK);
  const input = EpisodeInput.parse({
    episodeId: `bench-step-${process.pid}-${Date.now()}`,
    taskDir: task.dir,
    task: task.config,
    model: `replay:${traj}`,
    modelParams: {},
    runtime: 'docker',
    limits: { max_steps: steps + 5 },
  });
  const started = Date.now();
  const result = await env.client.workflow.execute(episodeWorkflow, { workflowId: input.episodeId, taskQueue, args: [input] });
  const wallMs = Date.now() - started;
  if (result.exitStatus !== 'submitted') throw new Error(`the episode ended ${result.exitStatus}, not submitted`);
  const events = (await env.client.workflow.getHandle(input.episodeId).fetchHistory()).events ?? [];
  return { stepMs: median(stepIntervalsMs(events)), wallMs, events, image: task.config.image };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { steps: { type: 'string', default: '30' }, rounds: { type: 'string', default: '3' }, json: { type: 'boolean' } },
  });
  const steps = Number(values.steps);
  if (!Number.isInteger(steps) || steps < 5 || steps > 500) throw new Error('--steps must be an integer from 5 to 500');
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be an integer from 1 to 20');

  for (const script of ['docker.sh', 'images.sh']) {
    const run = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision', script)], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) throw new Error(`scripts/provision/${script} failed`);
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-bench-step-'));
  process.env.MLGYM_ARTIFACTS = path.join(scratch, 'artifacts');
  const traj = writeReplay(
    path.join(scratch, 'true.traj'),
    Array.from({ length: steps }, () => 'true'),
  );

  log('starting the Temporal dev server and a worker');
  const env = await startTemporal();
  const taskQueue = `bench-step-${process.pid}`;
  const worker = await buildWorkers(env.nativeConnection, 'default', env.client, taskQueue, singleMachineRoles(false));
  const running = worker.run();
  const calls = instrumentRuntime();
  try {
    // Raw round trips are sampled between the episodes, so each episode is compared with the raw
    // figure of the moment (the blocks before and after it): a change in the machine's load shows
    // in both figures of a round, and the median over rounds is the figure to quote.
    log('raw docker exec round trips');
    const rawBlocks = [await rawExecRoundTrips(32)];
    const perRound: { rawMs: number; stepMs: number; ratio: number }[] = [];
    let last: Awaited<ReturnType<typeof timeEpisode>> | undefined;
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}: episode of ${steps} steps of \`true\` (zero-latency replay, docker)`);
      last = await timeEpisode(env, taskQueue, traj, steps);
      rawBlocks.push(await rawExecRoundTrips(32));
      const rawMs = median([...rawBlocks[round - 1], ...rawBlocks[round]]);
      perRound.push({ rawMs: round1(rawMs), stepMs: round1(last.stepMs), ratio: ratioOf(last.stepMs, rawMs) });
    }
    const { events, wallMs, image } = last!;
    const perStep = (name: string) => ({
      call: name,
      perStep: round1((calls.get(name)?.length ?? 0) / ((steps + 1) * rounds)),
      medianMs: round1(median(calls.get(name) ?? [])),
    });
    const figures = {
      steps,
      rounds: perRound,
      rawDockerExecMs: round1(median(perRound.map((r) => r.rawMs))),
      stepMs: round1(median(perRound.map((r) => r.stepMs))),
      ratio: median(perRound.map((r) => r.ratio)),
      target: 'under 2.5',
      episodeWallSeconds: Math.round(wallMs / 100) / 10,
      historyEvents: events.length,
      activities: activityTimes(events),
      workflowTasks: workflowTaskTimes(events),
      sandboxCalls: ['exec', 'copyIn', 'copyOut', 'writeEntries'].map(perStep).filter((c) => c.perStep > 0),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else {
      const lines = [
        ...perRound.map((r, i) => `round ${i + 1}: raw ${r.rawMs} ms, step ${r.stepMs} ms, ratio ${r.ratio}`),
        `raw docker exec round trip: ${figures.rawDockerExecMs} ms (median of the rounds; each the median of 64 round trips before and after its episode, \`true\` in a ${image} container)`,
        `one agent step:             ${figures.stepMs} ms (median of the rounds; each the median interval between model calls, ${steps} steps of \`true\`)`,
        `ratio:                      ${figures.ratio} (median of the rounds' ratios; target: ${figures.target})`,
        `last episode:               ${figures.episodeWallSeconds} s, ${figures.historyEvents} history events`,
        `workflow tasks:             ${figures.workflowTasks.count}, median ${figures.workflowTasks.medianMs} ms scheduled -> completed (queue ${figures.workflowTasks.queueMs} ms, worker ${figures.workflowTasks.workerMs} ms)`,
        'activities (last episode, median per call):',
        ...figures.activities.map((a) => `  ${a.activity.padEnd(20)} x${String(a.count).padEnd(4)} queue ${a.queueMs} ms, running ${a.runMs} ms`),
        'sandbox calls on the worker (all rounds, per step, median):',
        ...figures.sandboxCalls.map((c) => `  ${c.call.padEnd(20)} ${c.perStep} per step, ${c.medianMs} ms`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    worker.shutdown();
    await running;
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { fromPayloadsAtIndex } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ExecCommandResult } from '../../activities/exec-command';
import type { ExecRecord } from '../../activities/finish';
import type { RestoreSandboxResult } from '../../activities/snapshot/restore';
import { DockerRuntime } from '../../activities/sandbox/docker';
import { listLocalSandboxes, LocalRuntime } from '../../activities/sandbox/local';
import { episodeKeys } from '../../lib/artifact-keys';
import type { EpisodeInput, EpisodeResult, EpisodeStatus, SandboxHandle } from '../../lib/episode';
import type { SnapshotManifest } from '../../lib/snapshot';
import { resumeClosedEpisode } from '../../scripts/lib/resume';
import { resumeSignal, statusQuery } from '../../lib/episode-messages';
import { episodeWorkflow } from '../../workflows/episode';
import { ensureDocker, removeLabelled } from '../support/docker';
import { reply, startEpisodeHarness, testWorkers, type EpisodeHarness } from '../support/episode-harness';
import type { WorkerSet } from '../../workers/main';
import type { RecordedRequest, ScriptItem } from '../support/fake-llm-server';
import { SECRET, writeSandboxTask } from '../support/sandbox-task';
import { type CliRun, runMlgymCli, startSteerableWorker } from '../support/processes';

/**
 * Workspace snapshots and `mlgym episode resume`: real dev server, in-process worker, loopback LLM
 * server. An episode that dies at step 3 is continued from step K: the model calls and commands of
 * steps <= K are not made again (every command appends to log.txt, the LLM server counts requests
 * per step), the workspace comes back from the snapshot when the sandbox is gone, and the episode
 * completes with the expected score.
 */
let h: EpisodeHarness;
/** The reply for each step of the episode under test (1-based); submit past the end. */
let script: string[] = [];

const stepOf = (request: RecordedRequest) => ((request.body as { messages: unknown[] }).messages.length - 2) / 2 + 1;
const messagesOf = (request: RecordedRequest) => (request.body as { messages: unknown[] }).messages;

const answerScript = (request: RecordedRequest) => ({ text: script[stepOf(request) - 1] ?? reply('submit'), usage: { inputTokens: 1000, outputTokens: 100 } });

before(async () => {
  h = await startEpisodeHarness();
  h.llm.setResponder(answerScript);
});
after(async () => {
  h.llm.setResponder(undefined);
  await h?.stop();
});

function requestsPerStep(since: number, steps: number): number[] {
  const counts = new Array<number>(steps).fill(0);
  for (const request of h.llm.requests.slice(since)) counts[stepOf(request) - 1] += 1;
  return counts;
}

const readJson = <T>(key: string): T => JSON.parse(readFileSync(path.join(h.artifactsDir, key), 'utf8')) as T;
const trajectoryOf = (result: EpisodeResult) =>
  JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as {
    trajectory: { action: string; observation: string }[];
    info: { model_stats: { api_calls: number } };
  };

function start(input: EpisodeInput) {
  return h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Waits until step `step` runs a command whose output file shows `marker`; returns the sandbox. */
async function waitForCommand(
  handle: WorkflowHandle,
  step: number,
  read: (s: SandboxHandle) => Promise<string | undefined>,
  marker: string,
): Promise<SandboxHandle> {
  return waitFor(`step ${step} to write "${marker}"`, async () => {
    const status: EpisodeStatus = await handle.query(statusQuery);
    if (status.step !== step || !status.sandbox) return undefined;
    return (await read(status.sandbox))?.includes(marker) ? status.sandbox : undefined;
  });
}

/** The decoded results of the completed activities of a run, by activity type. */
async function activityResults(workflowId: string, runId: string, type: string): Promise<unknown[]> {
  const history = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const converter = h.env.client.options.loadedDataConverter.payloadConverter;
  const scheduled = new Map<string, string>();
  const results: unknown[] = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
    const c = event.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === type) results.push(fromPayloadsAtIndex(converter, 0, c.result?.payloads));
  }
  return results;
}

function mlgym(args: string[]): Promise<CliRun> {
  return runMlgymCli(args, { TEMPORAL_ADDRESS: h.env.address });
}

describe('workspace snapshots', () => {
  test('only changed files are stored, content-addressed; the data and evaluator copies never; an over-cap file is skipped and reported', async () => {
    const { task, taskDir } = writeSandboxTask();
    script = [
      reply('mkdir -p out && echo hello > out/a.txt && echo one >> log.txt'),
      reply('ls'),
      reply('head -c 2000000 /dev/zero > big.bin && rm out/a.txt && echo two >> log.txt'),
      reply(`echo ${SECRET} > submission.txt`),
      reply('submit'),
    ];
    const input = h.input({});
    const episode = { ...input, task, taskDir, limits: { ...input.limits, snapshot_max_file_mb: 1 } };
    const handle = await start(episode);
    const result = await handle.result();
    assert.equal(result.exitStatus, 'submitted');
    assert.deepEqual(result.score, { accuracy: 1 });
    const keys = episodeKeys(episode.episodeId);

    // Step 1: the first snapshot holds the whole workspace: starter code and the new files.
    const first = readJson<SnapshotManifest>(keys.snapshotManifest(1));
    const paths = first.entries.map((e) => e.p);
    for (const p of ['train.py', 'src', 'src/model.py', 'out', 'out/a.txt', 'log.txt']) assert.ok(paths.includes(p), `${p} in ${paths}`);
    for (const p of paths) assert.ok(!/^(data|evaluate\.py|scoring\.py)(\/|$)/.test(p), `${p} must not be snapshotted`);
    const step1 = readJson<ExecRecord>(keys.execRecord(1)).snapshot!;
    assert.equal(step1.manifestStep, 1);
    assert.equal(step1.storedFiles, 4);

    // Step 2 changed nothing: no manifest, nothing stored, the record points at step 1's.
    assert.ok(!existsSync(path.join(h.artifactsDir, keys.snapshotManifest(2))));
    assert.deepEqual(
      (({ manifestStep, changed, deleted, storedFiles, omitted }) => ({ manifestStep, changed, deleted, storedFiles, omitted }))(
        readJson<ExecRecord>(keys.execRecord(2)).snapshot!,
      ),
      { manifestStep: 1, changed: 0, deleted: 0, storedFiles: 0, omitted: [] },
    );

    // Step 3: log.txt stored, out/a.txt recorded as deleted, big.bin over the 1 MB cap reported.
    const step3 = readJson<ExecRecord>(keys.execRecord(3)).snapshot!;
    assert.equal(step3.manifestStep, 3);
    assert.equal(step3.changed, 2);
    assert.equal(step3.deleted, 1);
    assert.equal(step3.storedFiles, 1);
    assert.deepEqual(step3.omitted, [{ path: 'big.bin', bytes: 2_000_000 }]);
    assert.equal(step3.maxFileMb, 1);
    const third = readJson<SnapshotManifest>(keys.snapshotManifest(3));
    const entry = (m: SnapshotManifest, p: string) => m.entries.find((e) => e.p === p) as { h?: string; omitted?: string } | undefined;
    assert.equal(entry(third, 'out/a.txt'), undefined);
    assert.equal(entry(third, 'big.bin')?.omitted, 'over_cap');
    assert.equal(entry(third, 'big.bin')?.h, undefined);
    assert.equal(entry(third, 'train.py')?.h, entry(first, 'train.py')?.h, 'an unchanged file keeps its blob');
    assert.equal(readFileSync(path.join(h.artifactsDir, keys.snapshotBlob(entry(third, 'log.txt')!.h!)), 'utf8'), 'one\ntwo\n');

    // The report is in the activity result (the UI shows it), not in what the model saw.
    const execs = (await activityResults(episode.episodeId, handle.firstExecutionRunId, 'execCommand')) as ExecCommandResult[];
    assert.deepEqual(execs[2].snapshot?.omitted, [{ path: 'big.bin', bytes: 2_000_000 }]);
    const traj = trajectoryOf(result);
    assert.ok(!/big\.bin|snapshot/i.test(traj.trajectory[2].observation), traj.trajectory[2].observation);
  });
});

describe('mlgym episode resume', () => {
  test('terminated during a long command, sandbox gone: resume --from-step 2 restores step 2 and repeats nothing of steps <= 2', async () => {
    const input = h.input({});
    script = [
      reply('echo one >> log.txt && echo 1 > answer.txt'),
      reply('echo two >> log.txt && mkdir -p sub && echo 2 > sub/x.txt'),
      reply("long_run bash -c 'echo three >> log.txt; sleep 60'"),
    ];
    const since = h.llm.requests.length;
    const first = await start(input);
    const sandbox = await waitForCommand(first, 3, async (s) => readFileSync(path.join(s.workspace, 'log.txt'), 'utf8'), 'three');
    await first.terminate('test: the episode died at step 3');
    await new LocalRuntime().destroy(sandbox);
    assert.ok(!existsSync(sandbox.workspace));
    const step3Before = h.llm.requests.slice(since).find((r) => stepOf(r) === 3)!;

    script = [script[0], script[1], reply('cat log.txt sub/x.txt answer.txt'), reply('echo 7 > answer.txt'), reply('submit')];
    const resumed = await mlgym(['episode', 'resume', input.episodeId, '--from-step', '2', '--wait', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const out = JSON.parse(resumed.stdout) as EpisodeResult & { status: string; fromStep: number; previousStatus: string; runId: string };
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.previousStatus, 'TERMINATED');
    assert.equal(out.fromStep, 2);
    assert.equal(out.exitStatus, 'submitted');
    assert.deepEqual(out.score, { Score: 0 });
    assert.equal(out.steps, 5);

    // Steps 1 and 2 were asked once; step 3 once per run; the rest once.
    assert.deepEqual(requestsPerStep(since, 5), [1, 1, 2, 1, 1]);
    // The resumed run was fed the stored transcript: its step-3 request is the first run's.
    const step3After = h.llm.requests.slice(since).filter((r) => stepOf(r) === 3)[1];
    assert.deepEqual(messagesOf(step3After), messagesOf(step3Before));
    // Commands of steps <= 2 ran once (one line each), the first run's step 3 left no trace, and
    // the files of step 2 came back from its snapshot into the new sandbox.
    const traj = trajectoryOf(out as EpisodeResult);
    assert.equal(traj.trajectory.length, 5);
    assert.match(traj.trajectory[2].observation, /^one\ntwo\n2\n1(\n|$)/);
    // Cost and calls: the five answered calls this episode kept (the dropped step 3's is not counted).
    assert.equal(traj.info.model_stats.api_calls, 5);
    assert.equal(out.usage.inputTokens, 5000);
    const restore = (await activityResults(input.episodeId, out.runId, 'restoreSandbox')) as RestoreSandboxResult[];
    assert.equal(restore[0].report.snapshotStep, 2);
    assert.ok(restore[0].report.written >= 3, JSON.stringify(restore[0].report));
  });

  test('a non-retryable provider failure at step 3: the default resume re-uses the sandbox and continues after step 2', async () => {
    const replies = path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-replay-')), 'replies.json');
    const write = (lines: string[]) => writeFileSync(replies, JSON.stringify({ replies: lines }));
    write([reply('echo one >> log.txt'), reply('echo two >> log.txt')]);
    const input = h.input({ model: `replay:${replies}` });
    const first = await start(input);
    await assert.rejects(first.result());
    const closed = await first.describe();
    assert.equal(closed.status.name, 'FAILED');

    // Someone records more replies; the replay provider indexes them by the episode's call count.
    await sleep(20);
    write([reply('echo one >> log.txt'), reply('echo two >> log.txt'), reply('cat log.txt'), reply('echo 7 > answer.txt'), reply('submit')]);
    const resumed = await resumeClosedEpisode(h.env.client, input.episodeId);
    assert.equal(resumed.fromStep, 2);
    assert.equal(resumed.previousStatus, 'FAILED');
    const result = await h.env.client.workflow.getHandle<typeof episodeWorkflow>(input.episodeId, resumed.runId).result();
    assert.equal(result.exitStatus, 'submitted');
    assert.deepEqual(result.score, { Score: 0 });
    assert.match(trajectoryOf(result).trajectory[2].observation, /^one\ntwo(\n|$)/);
    assert.doesNotMatch(trajectoryOf(result).trajectory[2].observation, /one\ntwo\none/);
    const [restore] = (await activityResults(input.episodeId, resumed.runId, 'restoreSandbox')) as RestoreSandboxResult[];
    assert.deepEqual([restore.report.written, restore.report.deleted], [0, 0], 'the sandbox was re-used as it was');

    // A completed episode has nothing to resume.
    await assert.rejects(resumeClosedEpisode(h.env.client, input.episodeId), /COMPLETED/);
  });

  test("temporal workflow reset to before step 3's command: the command runs again on the workspace of step 2", async () => {
    const input = h.input({ keepSandbox: true });
    script = [reply('echo one >> log.txt'), reply('echo two >> log.txt'), reply('echo three >> log.txt && echo 1 > answer.txt'), reply('submit')];
    const since = h.llm.requests.length;
    const first = await start(input);
    assert.deepEqual((await first.result()).score, { Score: -6 });

    // The workflow task that scheduled step 3's command: reset there, and the run goes on from it.
    const history = await first.fetchHistory();
    const execs = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'execCommand');
    const resetPoint = execs[2].activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId;
    script = [...script.slice(0, 3), reply('cat log.txt'), reply('echo 7 > answer.txt'), reply('submit')];
    const reset: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await h.env.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: input.episodeId, runId: first.firstExecutionRunId },
      workflowTaskFinishEventId: resetPoint,
      reason: 'test: run step 3 again',
      requestId: `reset-${input.episodeId}`,
    });
    const result = await h.env.client.workflow.getHandle<typeof episodeWorkflow>(input.episodeId, reset.runId!).result();
    try {
      assert.equal(result.exitStatus, 'submitted');
      assert.deepEqual(result.score, { Score: 0 });
      // Step 3 ran again, on step 2's workspace: its line is in the log once.
      assert.match(trajectoryOf(result).trajectory[3].observation, /^one\ntwo\nthree(?!\nthree)/);
      // The model was not asked for steps 1-3 again; step 4 once per run.
      assert.deepEqual(requestsPerStep(since, 6), [1, 1, 1, 2, 1, 1]);
      const execs2 = (await activityResults(input.episodeId, reset.runId!, 'execCommand')) as ExecCommandResult[];
      const rerun = execs2.find((e) => e.superseded);
      assert.ok(rerun?.superseded?.commands.length === 1 && rerun.superseded.restore?.snapshotStep === 2, JSON.stringify(rerun));
    } finally {
      for (const sandbox of await listLocalSandboxes()) if (sandbox.episodeId === input.episodeId) await new LocalRuntime().destroy(sandbox);
    }
  });

  test("docker: an existing sandbox is brought back to step 1 and the earlier run's command is stopped", async (t) => {
    const docker = ensureDocker();
    if (!docker.ok) return t.skip(docker.reason);
    const input = h.input({ runtime: 'docker' });
    try {
      const runtime = new DockerRuntime();
      const readLog = async (s: SandboxHandle) => (await runtime.copyOut(s, `${s.workspace}/log.txt`))?.toString('utf8');
      script = [
        reply('echo one >> log.txt && echo 1 > answer.txt'),
        reply('echo two >> log.txt && mkdir -p sub && echo 2 > sub/x.txt'),
        reply("long_run bash -c 'echo three >> log.txt; sleep 60; echo late >> log.txt'"),
      ];
      const since = h.llm.requests.length;
      const first = await start(input);
      const sandbox = await waitForCommand(first, 3, readLog, 'three');
      await first.terminate('test: the episode died at step 3');

      script = [script[0], reply('cat log.txt; ls sub; ps -eo args | grep -c "[s]leep 60"'), reply('echo 7 > answer.txt'), reply('submit')];
      const resumed = await resumeClosedEpisode(h.env.client, input.episodeId, { fromStep: 1 });
      const result = await h.env.client.workflow.getHandle<typeof episodeWorkflow>(input.episodeId, resumed.runId).result();
      t.diagnostic(JSON.stringify(trajectoryOf(result).trajectory.map((s) => [s.action, s.observation])));
      assert.equal(result.exitStatus, 'submitted');
      assert.deepEqual(result.score, { Score: 0 });
      const observation = trajectoryOf(result).trajectory[1].observation;
      assert.match(observation, /^one\nls: cannot access 'sub': No such file or directory\n0$/);
      assert.deepEqual(requestsPerStep(since, 4), [1, 2, 2, 1]);
      const [restore] = (await activityResults(input.episodeId, resumed.runId, 'restoreSandbox')) as RestoreSandboxResult[];
      assert.equal(restore.handle.containerId, sandbox.containerId, 'the same container was re-used');
      assert.equal(restore.report.snapshotStep, 1);
    } finally {
      await removeLabelled(`mlgym.episode=${input.episodeId}`);
    }
  });

  test('resume after a rewrite never serves the old step (test with two workers)', async (t) => {
    // Two worker processes on one task queue: B, a child process (its own transcript cache), runs
    // the first run of the episode; A, in this process, the resumed run's steps 2 and 3, which
    // rewrite the transcript's messages of those steps; B then makes step 4's model call. B must
    // read A's messages, not those it saw in the first run.
    const taskQueue = `two-workers-${process.pid}-${Date.now()}`;
    const b = await startSteerableWorker(
      { TEMPORAL_ADDRESS: h.env.address, MLGYM_TASK_QUEUE: taskQueue },
      path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-worker-b-')), 'worker.log'),
    );
    let a: { worker: WorkerSet; running: Promise<void> } | undefined;
    const stopA = async () => {
      a?.worker.shutdown();
      await a?.running;
      a = undefined;
    };
    // Step 4 is refused (HTTP 401): the episode waits, blocked, until it is resumed; then it submits.
    let replies: ScriptItem[] = [reply('echo KEPT-1'), reply('echo OLD-2'), reply('echo OLD-3'), { fault: 'status', status: 401 }];
    h.llm.setResponder((request) => replies[stepOf(request) - 1] ?? reply('submit'));
    const input = h.input({});
    const blockedAtStep = (runId: string, step: number) =>
      waitFor(
        `the episode blocked at step ${step}`,
        async () => {
          const status: EpisodeStatus = await h.env.client.workflow.getHandle(input.episodeId, runId).query(statusQuery);
          return status.phase === 'blocked' && status.step === step ? status : undefined;
        },
        120_000,
      );
    const callModelWorkers = async (runId: string) => {
      const history = await h.env.client.workflow.getHandle(input.episodeId, runId).fetchHistory();
      const scheduled = new Map<string, string>();
      const identities: string[] = [];
      for (const event of history.events ?? []) {
        const s = event.activityTaskScheduledEventAttributes;
        if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
        const started = event.activityTaskStartedEventAttributes;
        if (started && scheduled.get(String(started.scheduledEventId)) === 'callModel') identities.push(started.identity ?? '');
      }
      return identities;
    };
    try {
      const identityB = await b.start();
      const first = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue, args: [input] });
      await blockedAtStep(first.firstExecutionRunId, 3);
      await first.terminate('test: the episode is replaced from step 1');
      assert.deepEqual(new Set(await callModelWorkers(first.firstExecutionRunId)), new Set([identityB]), 'B ran the first run');
      await b.stop();

      const worker = await testWorkers(h.env, taskQueue);
      a = { worker, running: worker.run() };
      replies = [replies[0], reply('echo NEW-2'), reply('echo NEW-3'), { fault: 'status', status: 401 }];
      const since = h.llm.requests.length;
      const resumed = await resumeClosedEpisode(h.env.client, input.episodeId, { fromStep: 1 });
      await blockedAtStep(resumed.runId, 3);
      await stopA();

      await b.start();
      replies = [...replies.slice(0, 3), reply('submit')];
      await h.env.client.workflow.getHandle(input.episodeId, resumed.runId).signal(resumeSignal);
      const result = await h.env.client.workflow.getHandle<typeof episodeWorkflow>(input.episodeId, resumed.runId).result();
      assert.equal(result.exitStatus, 'submitted');

      // Steps 2 and 3 were A's calls, the refused and the answered step-4 calls A's and B's.
      const workers = await callModelWorkers(resumed.runId);
      assert.equal(workers.length, 4, JSON.stringify(workers));
      assert.ok(
        workers.slice(0, 3).every((w) => w !== identityB),
        JSON.stringify(workers),
      );
      assert.equal(workers[3], identityB, 'B made the last model call');
      // Every request of the resumed run carried the new steps, never the replaced ones.
      const requests = h.llm.requests.slice(since);
      const bodies = requests.map((r) => JSON.stringify(messagesOf(r)));
      assert.equal(requests.length, 4);
      for (const [i, body] of bodies.entries()) assert.doesNotMatch(body, /OLD-/, `request ${i + 1} of the resumed run`);
      assert.match(bodies[3], /NEW-2[\s\S]*NEW-3/, "B's step-4 request carries the resumed run's steps 2 and 3");
      // B also wrote the trajectory from the transcript.
      assert.deepEqual(
        trajectoryOf(result)
          .trajectory.slice(0, 3)
          .map((s) => s.observation.trim()),
        ['KEPT-1', 'NEW-2', 'NEW-3'],
      );
      t.diagnostic(`callModel workers of the resumed run: ${workers.join(', ')}`);
    } finally {
      h.llm.setResponder(answerScript);
      await stopA();
      await b.exit();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import Docker from 'dockerode';
import { reapSandboxes } from '../../activities/sandbox/reaper';
import { EpisodeInput, type EpisodeResult, type EpisodeStatus } from '../../lib/episode';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { loadTask } from '../../scripts/lib/tasks';
import { pauseSignal, resumeSignal, statusQuery } from '../../lib/episode-messages';
import { episodeWorkflow } from '../../workflows/episode';
import { ensureDocker } from '../support/docker';
import { FAKE_OPENAI_KEY, reply } from '../support/episode-harness';
import { startFakeLlmServer, type FakeLlmServer, type RecordedRequest } from '../support/fake-llm-server';
import { startDevServer, startWorkerProcess, type DevServer, type WorkerProcess } from '../support/processes';

/**
 * The chaos suite: real dev server (state in SQLite), real Docker, `mlgym worker` processes that
 * get SIGKILLed at the worst moments, and the loopback LLM server counting every request. Each
 * interrupted episode must end exactly like an uninterrupted run of the same script.
 */
const TASK = loadTask(path.join(REPO_ROOT, 'tests/fixtures/tasks/chaos/task.yaml'));
const USAGE = { inputTokens: 1000, outputTokens: 100 };
const script = (trainSeconds: number) => [
  reply('cat train.sh'),
  reply(`long_run bash train.sh ${trainSeconds}`),
  reply('grep -c started start.log'),
  reply('validate'),
  reply('submit'),
];

let docker: ReturnType<typeof ensureDocker>;
let server: DevServer;
let client: Client;
let connection: Connection;
let llm: FakeLlmServer;
let worker: WorkerProcess;
let workerEnv: Record<string, string>;
let logDir: string;
let current: string[] = [];
/** Holds the first request of one step until the test has killed the worker. */
let holdStep: { step: number; arrived: () => void; releaseAfterMs: number } | undefined;
const episodeIds: string[] = [];

const stepOf = (request: RecordedRequest) => ((request.body as { messages: unknown[] }).messages.length - 2) / 2 + 1;

before(async () => {
  docker = ensureDocker();
  logDir = mkdtempSync(path.join(tmpdir(), 'mlgym-chaos-'));
  llm = await startFakeLlmServer();
  llm.setResponder(async (request) => {
    const step = stepOf(request);
    if (holdStep && holdStep.step === step) {
      const hold = holdStep;
      holdStep = undefined;
      hold.arrived();
      await sleep(hold.releaseAfterMs);
    }
    return { text: current[step - 1] ?? reply('submit'), usage: USAGE };
  });
  server = await startDevServer(path.join(logDir, 'temporal.db'), path.join(logDir, 'server.log'));
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  workerEnv = {
    TEMPORAL_ADDRESS: server.address,
    MLGYM_TASK_QUEUE: 'chaos',
    MLGYM_ARTIFACTS: path.join(logDir, 'artifacts'),
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
  };
  worker = await startWorkerProcess(workerEnv, path.join(logDir, 'worker.log'));
});

after(async () => {
  await worker?.kill('SIGTERM');
  await connection?.close();
  await server?.stop();
  await llm?.close();
});

async function restartWorker(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await worker.kill(signal);
  worker = await startWorkerProcess(workerEnv, path.join(logDir, 'worker.log'));
}

async function waitForStatus(handle: WorkflowHandle, ok: (s: EpisodeStatus) => boolean, timeoutMs = 180_000): Promise<EpisodeStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && ok(status)) return status;
    if (Date.now() > deadline) throw new Error(`status not reached; last ${JSON.stringify(status)}`);
    await sleep(250);
  }
}

interface Run {
  result: EpisodeResult;
  actions: string[];
  observations: string[];
  requestsPerStep: number[];
}

async function runEpisode(
  name: string,
  trainSeconds: number,
  chaos?: (handle: WorkflowHandle<typeof episodeWorkflow>) => Promise<void>,
  replies: string[] = script(trainSeconds),
): Promise<Run> {
  current = replies;
  const firstRequest = llm.requests.length;
  const input = EpisodeInput.parse({
    episodeId: `chaos-${name}-${Date.now()}`,
    taskDir: TASK.dir,
    task: TASK.config,
    model: 'openai:gpt-4o',
    modelParams: {},
    runtime: 'docker',
    limits: {},
  });
  episodeIds.push(input.episodeId);
  const handle = await client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: 'chaos', args: [input] });
  if (chaos) await chaos(handle);
  const result = await handle.result();
  const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { action: string; observation: string }[] };
  const requestsPerStep = replies.map(() => 0);
  for (const request of llm.requests.slice(firstRequest)) requestsPerStep[stepOf(request) - 1] += 1;
  return { result, actions: traj.trajectory.map((s) => s.action), observations: traj.trajectory.map((s) => s.observation), requestsPerStep };
}

function assertSameAsBaseline(run: Run, baseline: Run, t: { diagnostic(message: string): void }) {
  t.diagnostic(`requests per step ${JSON.stringify(run.requestsPerStep)}, cost $${run.result.costUsd.toFixed(4)}, exit ${run.result.exitStatus}`);
  assert.equal(run.result.exitStatus, 'submitted');
  assert.deepEqual(run.actions, baseline.actions);
  assert.deepEqual(
    run.result.evaluations.map((e) => [e.kind, e.metrics]),
    baseline.result.evaluations.map((e) => [e.kind, e.metrics]),
  );
  assert.equal(run.observations[2].split('\n')[0].trim(), '1', 'the training command started exactly once');
  // Each step's request reached the LLM once, except at most one repeat of a request in flight at the kill.
  const repeats = run.requestsPerStep.reduce((sum, n) => sum + (n - 1), 0);
  assert.ok(run.requestsPerStep.every((n) => n >= 1) && repeats <= 1, `requests per step: ${run.requestsPerStep}`);
  // Cost is counted once per answered request: five steps, one answer each.
  assert.equal(run.result.usage.inputTokens, 5 * USAGE.inputTokens);
  assert.ok(Math.abs(run.result.costUsd - baseline.result.costUsd) < 1e-9);
}

describe('chaos: SIGKILLed workers and a restarted server cost nothing but time', () => {
  let short: Run;
  let long: Run;

  test('uninterrupted baselines', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    short = await runEpisode('baseline-short', 5);
    long = await runEpisode('baseline-long', 60);
    for (const run of [short, long]) {
      assert.equal(run.result.exitStatus, 'submitted');
      assert.deepEqual(run.result.score, { Score: 42 });
      assert.deepEqual(run.requestsPerStep, [1, 1, 1, 1, 1]);
    }
  });

  test('(a) worker killed during a model call', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('model-call', 5, async () => {
      await new Promise<void>((arrived) => (holdStep = { step: 4, arrived, releaseAfterMs: 5_000 }));
      await restartWorker();
    });
    assertSameAsBaseline(run, short, t);
    assert.equal(run.requestsPerStep[3], 2, 'the in-flight request was asked again once');
  });

  test('(b) worker killed during a 60-second training command: re-attached, not restarted', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('training', 60, async (handle) => {
      await waitForStatus(handle, (s) => s.step === 2 && s.lastAction === 'long_run bash train.sh 60');
      await sleep(8_000);
      await restartWorker();
    });
    assertSameAsBaseline(run, long, t);
    assert.match(run.observations[1], /epoch 60\n[\s\S]*training finished/);
  });

  test('(c) worker killed during an evaluation', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('evaluation', 5, async (handle) => {
      await waitForStatus(handle, (s) => s.phase === 'evaluating' && s.step === 4);
      await sleep(2_000);
      await restartWorker();
    });
    assertSameAsBaseline(run, short, t);
  });

  test('(d) worker killed between steps', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('between-steps', 5, async (handle) => {
      await waitForStatus(handle, (s) => s.step >= 1);
      await handle.signal(pauseSignal);
      const paused = await waitForStatus(handle, (s) => s.paused);
      // Paused takes effect at the top of the loop: once the step counter holds still, nothing runs.
      let settled = paused;
      do {
        await sleep(1_500);
        const again = await handle.query(statusQuery);
        if (again.step === settled.step && again.phase !== 'evaluating') break;
        settled = again;
      } while (Date.now());
      await restartWorker();
      await handle.signal(resumeSignal);
    });
    assertSameAsBaseline(run, short, t);
  });

  test('(e) Temporal server restarted mid-episode (state kept in SQLite)', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('server-restart', 60, async (handle) => {
      await waitForStatus(handle, (s) => s.step === 2 && s.lastAction === 'long_run bash train.sh 60');
      await sleep(5_000);
      await server.stop('SIGKILL');
      await sleep(3_000);
      await server.start();
      if (!worker.alive()) worker = await startWorkerProcess(workerEnv, path.join(logDir, 'worker.log'));
    });
    assertSameAsBaseline(run, long, t);
  });

  test('(f) graceful worker shutdown (SIGTERM) leaves a running training command alone', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const run = await runEpisode('sigterm', 60, async (handle) => {
      await waitForStatus(handle, (s) => s.step === 2 && s.lastAction === 'long_run bash train.sh 60');
      await sleep(5_000);
      await restartWorker('SIGTERM');
    });
    assertSameAsBaseline(run, long, t);
    assert.match(run.observations[1], /epoch 60\n[\s\S]*training finished/);
  });

  test('(g) the persistent shell survives SIGKILLed workers, and no command runs twice', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    // Each command appends its name to ran.log first: a command run twice would show up twice.
    const replies = [
      reply(
        [
          'echo step1 >> "$HOME/ran.log"',
          'mkdir -p deep && cd deep',
          'export EXPORTED=yes; PLAIN=kept',
          "alias hi='echo hi-from-alias'",
          'greet() { echo "greet $1"; }',
          "printf 'SOURCED=ok\\n' > env.sh && source env.sh",
          '(sleep 25; echo background-finished > "$HOME/bg.log") &',
        ].join('\n'),
      ),
      reply('echo step2 >> "$HOME/ran.log"; sleep 8; echo "state: $(pwd) $EXPORTED $PLAIN $SOURCED"; hi; greet you'),
      reply('echo step3 >> "$HOME/ran.log"; for i in $(seq 60); do [ -e "$HOME/bg.log" ] && break; sleep 0.5; done; cat "$HOME/bg.log" "$HOME/ran.log"; pwd'),
      reply('echo 42 > "$HOME/workspace/answer.txt"'),
      reply('submit'),
    ];
    const run = await runEpisode(
      'shell',
      0,
      async (handle) => {
        // Killed right after step 1 ended, then again in the middle of step 2's command.
        await waitForStatus(handle, (s) => s.step === 1 && s.phase === 'running');
        await restartWorker();
        await waitForStatus(handle, (s) => s.step === 2);
        await sleep(3_000);
        await restartWorker();
      },
      replies,
    );
    t.diagnostic(`observations: ${JSON.stringify(run.observations.slice(1, 3))}`);
    assert.equal(run.result.exitStatus, 'submitted');
    assert.match(run.observations[1], /^state: \/home\/agent\/workspace\/deep yes kept ok\nhi-from-alias\ngreet you/);
    assert.match(run.observations[2], /^background-finished\nstep1\nstep2\nstep3\n\/home\/agent\/workspace\/deep/);
  });

  test('no container of a closed episode remains after the reaper', async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const report = await reapSandboxes(client, { graceSec: 0 });
    t.diagnostic(`reaper removed ${report.removedContainers.length} container(s): ${report.removedContainers.join(', ')}`);
    const left = await new Docker().listContainers({ all: true, filters: { label: ['mlgym.managed=true'] } });
    const ours = left.filter((c) => episodeIds.includes(c.Labels['mlgym.episode'] ?? c.Labels['mlgym.evaluates'] ?? ''));
    assert.deepEqual(
      ours.map((c) => c.Names[0]),
      [],
    );
  });
});

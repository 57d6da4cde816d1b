import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { episodeKeys } from '../../lib/artifact-keys';
import { EpisodeInput } from '../../lib/episode';
import { statusQuery } from '../../lib/episode-messages';
import { loadTask } from '../../scripts/lib/tasks';
import { episodeWorkflow } from '../../workflows/episode';
import { FAKE_OPENAI_KEY, GUESS_TASK, reply } from '../support/episode-harness';
import { startFakeLlmServer, type FakeLlmServer, type RecordedRequest } from '../support/fake-llm-server';
import { startDevServer, startWorkerProcess, type DevServer, type WorkerProcess } from '../support/processes';

/**
 * One machine, one `mlgym worker`, down for longer than `host_lost_after_sec` while a command runs:
 * the episode finds its host silent and asks the provisioning queue to relocate the sandbox; the
 * worker, back, takes that request, finds its sandbox intact, and the command is re-attached (not
 * run again, no workspace lost). A single machine never loses work to the fleet's host-loss rule.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-host-outage-'));
const taskQueue = `host-outage-${process.pid}`;
let server: DevServer;
let llm: FakeLlmServer;
let worker: WorkerProcess | undefined;
let env: Record<string, string>;

const stepOf = (request: RecordedRequest) => ((request.body as { messages: unknown[] }).messages.length - 2) / 2 + 1;

before(async () => {
  llm = await startFakeLlmServer();
  llm.setResponder((request) => (stepOf(request) === 1 ? reply('echo START-$(date +%s%3N); sleep 35; echo SLEPT') : reply('submit')));
  server = await startDevServer(path.join(dir, 'temporal.db'), path.join(dir, 'server.log'));
  env = {
    TEMPORAL_ADDRESS: server.address,
    MLGYM_TASK_QUEUE: taskQueue,
    MLGYM_ARTIFACTS: path.join(dir, 'artifacts'),
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
  };
  worker = await startWorkerProcess(env, path.join(dir, 'worker.log'));
});

after(async () => {
  await worker?.kill('SIGTERM');
  await server?.stop();
  await llm?.close();
});

test('a worker down longer than host_lost_after_sec comes back to its sandbox: the running command is re-attached', { timeout: 5 * 60_000 }, async () => {
  const task = loadTask(GUESS_TASK);
  const input = EpisodeInput.parse({
    episodeId: `host-outage-${process.pid}`,
    taskDir: task.dir,
    task: { ...task.config, command_timeout: 120 },
    model: 'openai:gpt-4o',
    modelParams: {},
    runtime: 'local',
    limits: { max_steps: 5, host_lost_after_sec: 10 },
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const handle = await client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue, args: [input] });
  for (let i = 0; ; i++) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.step === 1 && status.phase === 'running' && /sleep/.test(status.lastAction ?? '')) break;
    assert.ok(i < 200, 'step 1 never ran');
    await sleep(100);
  }
  await sleep(1000);
  const killedAt = Date.now();
  await worker!.kill('SIGKILL');
  // The command's heartbeat times out (10 s), its retry is not picked up (10 s): the host is silent.
  // The episode asks for a relocation as soon as a worker runs its workflow again.
  for (let i = 0; ; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const silent = events.some(
      (e) =>
        e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    );
    if (silent) break;
    assert.ok(i < 120, 'the command never timed out as unclaimed');
    await sleep(500);
  }
  worker = await startWorkerProcess(env, path.join(dir, 'worker.log'));
  const result = await handle.result();
  assert.equal(result.exitStatus, 'submitted');
  const relocations = ((await handle.fetchHistory()).events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'relocateSandbox',
  );
  assert.equal(relocations.length, 1, 'the episode asked once where its sandbox is');

  const step2 = llm.requests.find((r) => stepOf(r) === 2);
  const observation = JSON.stringify((step2!.body as { messages: unknown[] }).messages.at(-1));
  assert.match(observation, /SLEPT/, 'the command ran to its end');
  const started = Number(/START-(\d+)/.exec(observation)?.[1]);
  assert.ok(started < killedAt, 'the output is the first run of the command, re-attached, not a second run');
  assert.equal(llm.requests.filter((r) => stepOf(r) === 1).length, 1, 'step 1 was asked once');
  const results = JSON.parse(readFileSync(path.join(env.MLGYM_ARTIFACTS!, episodeKeys(input.episodeId).results), 'utf8')) as {
    placement: { hostLosses?: unknown };
  };
  assert.equal(results.placement.hostLosses, undefined, 'no host was lost');
  await connection.close();
});

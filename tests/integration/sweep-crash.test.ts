import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { SweepResult } from '../../lib/sweep';
import { statusQuery } from '../../lib/episode-messages';
import { sweepStatusQuery } from '../../lib/sweep-messages';
import { FAKE_OPENAI_KEY, GUESS_TASK, reply } from '../support/episode-harness';
import { startFakeLlmServer, type FakeLlmServer, type RecordedRequest } from '../support/fake-llm-server';
import { startDevServer, startWorkerProcess, type DevServer, type WorkerProcess, type CliRun, runMlgymCli } from '../support/processes';

/**
 * A sweep whose worker and server are SIGKILLed mid-way: a dev server with its state in SQLite, an
 * `mlgym worker` process, the CLI. After both come back, relaunching the same `mlgym sweep start`
 * finishes the sweep; cells finished before the crash get no model request. The two unfinished
 * episodes are blocked on a rejected key at the crash (no activity in flight, so no heartbeat
 * timeout to wait out); after the restart they are resumed and finish in their original runs.
 */
let server: DevServer;
let worker: WorkerProcess | undefined;
let llm: FakeLlmServer;
let connection: Connection | undefined;
let workerEnv: Record<string, string>;
const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-sweep-crash-'));

const episodeOf = (request: RecordedRequest) => /sandboxes\/([A-Za-z0-9_.-]+?)-[0-9a-f]{8}\/workspace/.exec(JSON.stringify(request.body))?.[1] ?? '?';

before(async () => {
  llm = await startFakeLlmServer();
  const calls = new Map<string, number>();
  llm.setResponder((request) => {
    const id = episodeOf(request);
    const call = (calls.get(id) ?? 0) + 1;
    calls.set(id, call);
    // r3 and r4 are rejected (401) at first: they wait, blocked, for someone to fix the key.
    return /--r[34]$/.test(id) && call === 1 ? { fault: 'status', status: 401 } : reply('submit');
  });
  server = await startDevServer(path.join(dir, 'temporal.db'), path.join(dir, 'server.log'));
  workerEnv = {
    TEMPORAL_ADDRESS: server.address,
    MLGYM_TASK_QUEUE: 'sweep-crash',
    MLGYM_ARTIFACTS: path.join(dir, 'artifacts'),
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
  };
  worker = await startWorkerProcess(workerEnv, path.join(dir, 'worker.log'));
});

after(async () => {
  await worker?.kill('SIGTERM');
  await connection?.close();
  await server?.stop();
  await llm?.close();
});

function mlgym(args: string[]): Promise<CliRun> {
  return runMlgymCli(args, { ...workerEnv, MLGYM_POLL_MS: '500' });
}

test('worker and server SIGKILLed mid-sweep: relaunching the same command finishes it without re-running finished cells', async () => {
  const spec = path.join(dir, 'crash.yaml');
  writeFileSync(
    spec,
    YAML.stringify({ name: 'crash', tasks: [GUESS_TASK], models: ['openai:gpt-4o'], runs: 4, concurrency: 2, runtime: 'local', limits: { max_steps: 5 } }),
  );
  const started = await mlgym(['sweep', 'start', spec, '--json']);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(JSON.parse(started.stdout).workflowId, 'sweep-crash');

  connection = await Connection.connect({ address: server.address });
  let client = new Client({ connection });
  // r1 and r2 finish; r3 and r4 are blocked.
  const r3 = 'crash--guess--openai-gpt-4o--r3';
  const r4 = 'crash--guess--openai-gpt-4o--r4';
  for (let i = 0; ; i++) {
    const s = await client.workflow
      .getHandle('sweep-crash')
      .query(sweepStatusQuery)
      .catch(() => undefined);
    const phases = await Promise.all(
      [r3, r4].map((id) =>
        client.workflow
          .getHandle(id)
          .query(statusQuery)
          .then(
            (e) => e.phase,
            () => undefined,
          ),
      ),
    );
    if (s && s.counts.completed === 2 && s.counts.running === 2 && phases.every((p) => p === 'blocked')) break;
    assert.ok(i < 300, `the sweep did not get half-way: ${JSON.stringify(s?.counts)} ${phases.join(', ')}`);
    await sleep(100);
  }
  const runIds = await Promise.all([r3, r4].map(async (id) => (await client.workflow.getHandle(id).describe()).runId));
  await worker!.kill('SIGKILL');
  await connection.close();
  connection = undefined;
  await server.stop('SIGKILL');
  const before = llm.requests.length;

  await server.start();
  worker = await startWorkerProcess(workerEnv, path.join(dir, 'worker.log'));
  const relaunching = mlgym(['sweep', 'start', spec, '--wait', '--json']);
  // The key is fixed: the blocked episodes are resumed where they stood.
  for (const id of [r3, r4]) {
    const resumed = await mlgym(['episode', 'resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
  }
  const relaunched = await relaunching;
  assert.equal(relaunched.code, 0, relaunched.stderr);
  assert.match(relaunched.stderr, /sweep-crash is running: sent it the spec \(0 new cell\(s\) of 4\)/);
  const result = JSON.parse(relaunched.stdout) as SweepResult;
  assert.equal(result.status, 'completed');
  assert.deepEqual(result.counts, { total: 4, pending: 0, running: 0, completed: 4, failed: 0 });
  const after = llm.requests.slice(before).map(episodeOf);
  assert.ok(!after.some((id) => /--r[12]$/.test(id)), `finished cells were asked again: ${after.join(', ')}`);
  for (const cell of result.cells) assert.equal(cell.attempt, 1);
  for (const id of [r3, r4]) {
    assert.equal(llm.requests.filter((r) => episodeOf(r) === id).length, 2, `${id}: the rejected call and one submit in all`);
  }
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  assert.deepEqual(await Promise.all([r3, r4].map(async (id) => (await client.workflow.getHandle(id).describe()).runId)), runIds, 're-attached, not restarted');
  await assert.rejects(client.workflow.getHandle(`${r3}--a2`).describe(), WorkflowNotFoundError);
});

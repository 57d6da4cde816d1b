import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { GUESS_TASK, reply } from '../support/episode-harness';
import { runMlgymCli, startWorkerProcess, type WorkerProcess } from '../support/processes';
import { type ProductionTemporal, startProductionTemporal } from '../support/temporal-production';

/**
 * The production layout's Temporal: the official server on PostgreSQL (SQL visibility), reached
 * over TLS through Temporal's environment configuration by a `mlgym worker` and the CLI. A sweep
 * (child workflows, search attributes, visibility queries) runs on it to the end.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-production-'));
const taskQueue = `production-${process.pid}`;
let temporal: ProductionTemporal | undefined;
let worker: WorkerProcess | undefined;

before(async () => {
  temporal = await startProductionTemporal(path.join(dir, 'temporal-server.log'));
  worker = await startWorkerProcess(
    { ...temporal.env, MLGYM_TASK_QUEUE: taskQueue, MLGYM_ARTIFACTS: path.join(dir, 'artifacts') },
    path.join(dir, 'worker.log'),
  );
});

after(async () => {
  await worker?.kill('SIGTERM');
  await temporal?.stop();
});

test('a sweep runs to the end on the PostgreSQL-backed server over TLS', async () => {
  const traj = path.join(dir, 'submit.traj');
  writeFileSync(traj, JSON.stringify({ trajectory: [{ response: reply('submit') }] }));
  const spec = path.join(dir, 'sweep.yaml');
  writeFileSync(
    spec,
    YAML.stringify({
      name: `pg-${process.pid}`,
      tasks: [GUESS_TASK],
      models: [`replay:${traj}`],
      runs: 2,
      limits: { max_steps: 5 },
      concurrency: 2,
      runtime: 'local',
    }),
  );
  const env = { ...temporal!.env, MLGYM_TASK_QUEUE: taskQueue, MLGYM_POLL_MS: '500', MLGYM_ARTIFACTS: path.join(dir, 'artifacts') };
  const run = await runMlgymCli(['sweep', 'start', spec, '--wait', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { workflowStatus: string; counts: Record<string, number>; cells: { exitStatus: string }[] };
  assert.equal(out.workflowStatus, 'COMPLETED');
  assert.deepEqual(out.counts, { total: 2, pending: 0, running: 0, completed: 2, failed: 0 });
  assert.deepEqual(
    out.cells.map((c) => c.exitStatus),
    ['submitted', 'submitted'],
  );

  // The same server, a client that trusts another CA: one line, nothing started.
  const refused = await runMlgymCli(['sweep', 'start', spec], { ...env, TEMPORAL_TLS_SERVER_CA_CERT_PATH: temporal!.otherCaFile });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^mlgym: cannot connect to the Temporal server at 127\.0\.0\.1:\d+ \(TLS\)/m);
});

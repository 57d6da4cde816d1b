import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import Docker from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { listDisks, releaseDisk } from '../../activities/sandbox/disk';
import { episodeKeys } from '../../lib/artifact-keys';
import type { EpisodeStatus, HostLoss, SandboxHandle } from '../../lib/episode';
import { statusQuery } from '../../lib/episode-messages';
import { GPU_LABEL } from '../../lib/gpus';
import { SA } from '../../lib/search-attributes';
import type { SweepResult } from '../../lib/sweep';
import { sweepStatusQuery } from '../../lib/sweep-messages';
import { hostQueue } from '../../lib/task-queues';
import { machineOf } from '../../workers/main';
import { ensureDocker, removeLabelled } from '../support/docker';
import { FAKE_OPENAI_KEY, reply } from '../support/episode-harness';
import { startFakeLlmServer, type FakeLlmServer, type RecordedRequest } from '../support/fake-llm-server';
import { type CliRun, runMlgymCli, startWorkerProcess, type WorkerProcess } from '../support/processes';
import { type ProductionTemporal, startProductionTemporal } from '../support/temporal-production';
import { writeSandboxTask } from '../support/sandbox-task';
import { copyImage, secondDocker, type SecondDocker } from '../support/second-docker';

/**
 * A fleet on one machine: two Docker engines stand for two hosts, each with a host agent
 * (`mlgym worker --host a|b`) declaring 2 GPUs, and a control worker (`--role control`) runs the
 * workflows. A sweep of 8 episodes (concurrency 8) of a task needing 1 GPU: 4 run at once, the
 * others wait in the GPU provisioning queue. Mid-episode, host B's agent is SIGKILLed and its
 * engine stopped: B's episodes move to host A, restore their workspace from their last snapshot
 * and finish. Every command ran on its sandbox's host, no (host, GPU) pair was held twice, and no
 * model call of a finished step was made again.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-fleet-'));
const taskQueue = `fleet-${process.pid}`;
const artifactsDir = path.join(dir, 'artifacts');
const name = `fleet-${process.pid}`;
const TOKEN = /TOKEN-([0-9a-f-]{36})/;

const SCRIPT = [
  reply('echo TOKEN-$(cat /proc/sys/kernel/random/uuid) | tee token.txt; echo one > progress.txt'),
  reply('sleep 12; echo two >> progress.txt'),
  reply('cat progress.txt'),
  reply('cat token.txt > submission.txt'),
  reply('submit'),
];

const stepOf = (request: RecordedRequest) => ((request.body as { messages: unknown[] }).messages.length - 2) / 2 + 1;
const tokenOf = (request: RecordedRequest) => TOKEN.exec(JSON.stringify(request.body))?.[1];

let llm: FakeLlmServer;
let seenBothFull!: () => void;
const bothHostsFull = new Promise<void>((resolve) => (seenBothFull = resolve));
let temporal: ProductionTemporal;
let hostB: SecondDocker;
let common: Record<string, string>;
let agentB: WorkerProcess;
const workers: WorkerProcess[] = [];
const endpoints = { a: 'unix:///var/run/docker.sock', b: '' };
/** Disks are named like their containers: the two engines of this one machine need a folder each. */
const disks = { a: '/var/lib/mlgym/disks', b: '/var/lib/mlgym/disks-fleet-b' };

before(async () => {
  const docker = ensureDocker();
  if (!docker.ok) throw new Error(`the fleet test needs Docker: ${docker.reason}`);
  llm = await startFakeLlmServer();
  llm.setResponder(async (request) => {
    // Step 2's replies wait until both hosts were seen full: the sandboxes holding the 4 GPUs stay
    // up until then, however late a loaded machine starts the last of them.
    if (stepOf(request) === 2) await bothHostsFull;
    return SCRIPT[stepOf(request) - 1] ?? reply('submit');
  });
  temporal = await startProductionTemporal(path.join(dir, 'temporal-server.log'));
  hostB = secondDocker('b', path.join(dir, 'dockerd-b.log'));
  endpoints.b = hostB.endpoint;
  await hostB.start();
  // Host B's engine is this test's own: sandboxes an earlier run left there would hold its GPUs.
  for (const c of await hostB.docker.listContainers({ all: true })) await hostB.docker.getContainer(c.Id).remove({ force: true });
  await copyImage('mlgym/task-python:latest', hostB);

  common = {
    ...temporal.env,
    MLGYM_TASK_QUEUE: taskQueue,
    MLGYM_ARTIFACTS: artifactsDir,
    MLGYM_ARTIFACTS_SHARED: '1',
    MLGYM_REAP_DOCKER: '0',
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    OPENAI_API_KEY: FAKE_OPENAI_KEY,
  };
  const agent = (host: 'a' | 'b') =>
    startWorkerProcess({ ...common, DOCKER_HOST: endpoints[host], MLGYM_GPUS: '0,1', MLGYM_SANDBOX_DISKS: disks[host] }, path.join(dir, `host-${host}.log`), [
      ...['--role', 'host', '--host', host],
      // GPUs, not slots or CPUs, bound how many sandboxes a host runs.
      ...['--slots', '4', '--cpus', '8'],
    ]);
  workers.push(await startWorkerProcess(common, path.join(dir, 'control.log'), ['--role', 'control']), await agent('a'));
  agentB = await agent('b');
  workers.push(agentB);
});

after(async () => {
  for (const w of workers) await w.kill('SIGTERM');
  // Whatever a failed run left on host A (the sandbox task is this test's only one now).
  await removeLabelled('mlgym.task=sandbox-test');
  await hostB?.stop();
  // Host B's sandboxes went down with its engine; their disks are still mounted on this machine.
  const saved = process.env.MLGYM_SANDBOX_DISKS;
  process.env.MLGYM_SANDBOX_DISKS = disks.b;
  try {
    for (const disk of await listDisks()) await releaseDisk(disk.name);
  } finally {
    if (saved === undefined) delete process.env.MLGYM_SANDBOX_DISKS;
    else process.env.MLGYM_SANDBOX_DISKS = saved;
  }
  await temporal?.stop();
  await llm?.close();
});

/** A sandbox task needing one GPU. */
function gpuTask(): string {
  const { taskDir } = writeSandboxTask();
  const file = path.join(taskDir, 'task.yaml');
  const spec = YAML.parse(readFileSync(file, 'utf8')) as { resources: Record<string, number> };
  spec.resources.gpus = 1;
  writeFileSync(file, YAML.stringify(spec));
  return file;
}

interface Sample {
  at: number;
  /** (host, GPU) pairs held by running sandboxes, from the containers' labels. */
  held: string[];
  running?: number;
}

/** The production server over TLS, as the workers reach it. */
const connect = () =>
  Connection.connect({ address: temporal.address, tls: { serverRootCACertificate: readFileSync(temporal.caFile), serverNameOverride: 'localhost' } });

test('bad input: a host id used twice, a local store, a GPU task with no GPU host, wrong TLS: one line each, nothing started', async () => {
  const oneLine = (run: CliRun, pattern: RegExp) => {
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  };
  // Host a's id from another Docker engine.
  oneLine(
    await runMlgymCli(['worker', '--role', 'host', '--host', 'a'], { ...common, DOCKER_HOST: endpoints.b }),
    /host id "a" is in use by worker \d+@.* docker=unix:\/\/\/var\/run\/docker.sock/,
  );
  const localStore = { ...common, MLGYM_ARTIFACTS_SHARED: '0' };
  oneLine(await runMlgymCli(['worker', '--role', 'host', '--host', 'c'], localStore), /joins a fleet, but its artifact store .* is local to this machine/);
  oneLine(await runMlgymCli(['worker', '--role', 'control'], localStore), /joins a fleet, but its artifact store/);
  oneLine(
    await runMlgymCli(['worker', '--role', 'host', '--host', 'c'], { ...common, TEMPORAL_TLS_SERVER_CA_CERT_PATH: temporal.otherCaFile }),
    /cannot connect to the Temporal server/,
  );
  oneLine(await runMlgymCli(['worker', '--host', 'no/slashes'], common), /--host: a host id is letters, digits/);
  // No worker on this queue takes GPU tasks.
  oneLine(
    await runMlgymCli(['run', '--task', gpuTask(), '--model', 'openai:gpt-4o'], { ...common, MLGYM_TASK_QUEUE: `${taskQueue}-no-gpus` }),
    /task sandbox-test needs 1 GPU\(s\) and no worker takes GPU tasks/,
  );
  const connection = await connect();
  const started = await new Client({ connection }).workflow.count();
  await connection.close();
  assert.equal(started.count, 0, 'no workflow was started');
});

test('a sweep across two hosts balances, never shares a GPU, and survives the loss of a host', { timeout: 15 * 60_000 }, async (t) => {
  const spec = path.join(dir, 'sweep.yaml');
  writeFileSync(
    spec,
    YAML.stringify({
      name,
      tasks: [gpuTask()],
      models: ['openai:gpt-4o', 'openai:gpt-4o-mini'],
      runs: 4,
      concurrency: 8,
      runtime: 'docker',
      limits: { max_steps: 10, host_lost_after_sec: 15 },
    }),
  );
  const started = await runMlgymCli(['sweep', 'start', spec, '--json'], common);
  assert.equal(started.code, 0, started.stderr);
  // Should the hosts never be seen full, step 2 goes on after 3 minutes and the assertion below says so.
  setTimeout(seenBothFull, 180_000).unref();

  const connection = await connect();
  const client = new Client({ connection });
  const sweep = client.workflow.getHandle(`sweep-${name}`);
  const engines = { a: new Docker(), b: hostB.docker };
  const samples: Sample[] = [];
  let bAlive = true;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const held: string[] = [];
      for (const [host, engine] of Object.entries(engines)) {
        if (host === 'b' && !bAlive) continue;
        const running = await engine.listContainers({ filters: { label: [GPU_LABEL] } }).catch(() => []);
        for (const c of running) for (const gpu of c.Labels[GPU_LABEL]!.split(',')) held.push(`${host}:${gpu}`);
      }
      const status = await sweep.query(sweepStatusQuery).catch(() => undefined);
      samples.push({ at: Date.now(), held, ...(status && { running: status.counts.running }) });
      if (held.length === 4) seenBothFull();
      await sleep(300);
    }
  })();

  // Host B goes down while one of its episodes runs its long command (step 2).
  let victim: string | undefined;
  for (let i = 0; !victim; i++) {
    assert.ok(i < 600, 'no episode of host b reached its long command');
    const status = await sweep.query(sweepStatusQuery).catch(() => undefined);
    const ids = (status?.cells ?? []).flatMap((c) => (c.episodeId ? [c.episodeId] : []));
    const states = await Promise.all(
      ids.map((id) =>
        client.workflow
          .getHandle(id)
          .query(statusQuery)
          .catch(() => undefined),
      ),
    );
    // Step 2 starts only once the sampler has seen both hosts full (the LLM server holds it back).
    victim = states.find((s): s is EpisodeStatus => s?.sandbox?.host === 'b' && s.step === 2 && /sleep/.test(s.lastAction ?? ''))?.episodeId;
    if (!victim) await sleep(250);
  }
  await agentB.kill('SIGKILL');
  bAlive = false;
  await hostB.stop();

  const result = (await sweep.result()) as SweepResult;
  sampling = false;
  await sampler;
  assert.equal(result.status, 'completed', JSON.stringify(result.counts));
  assert.deepEqual(
    result.cells.map((c) => c.exitStatus),
    Array(8).fill('submitted'),
  );

  // No (host, GPU) pair was ever held by two running sandboxes; GPUs bounded how many ran.
  for (const s of samples) assert.equal(new Set(s.held).size, s.held.length, `a GPU held twice at ${s.at}: ${s.held.join(' ')}`);
  const busiest = Math.max(...samples.map((s) => s.held.length));
  assert.equal(busiest, 4, 'both hosts ran 2 GPU sandboxes at once');
  assert.ok(
    samples.some((s) => s.held.length === 4 && (s.running ?? 0) > 4),
    'episodes beyond the GPUs waited while all 4 were held',
  );

  // Where every episode ran, and what B's lost episodes recorded.
  const placements = new Map<string, { host: string; gpus: string[]; hostLosses?: HostLoss[] }>();
  for (const cell of result.cells) {
    const results = JSON.parse(readFileSync(path.join(artifactsDir, episodeKeys(cell.episodeId!).results), 'utf8')) as {
      placement: { host: string; gpus: string[]; hostLosses?: HostLoss[] };
    };
    placements.set(cell.episodeId!, results.placement);
  }
  const moved = [...placements].filter(([, p]) => p.hostLosses?.length);
  assert.ok(
    moved.some(([id]) => id === victim),
    `${victim} recorded its lost host`,
  );
  for (const [id, p] of moved) {
    assert.equal(p.host, 'a', `${id} finished on host a`);
    assert.equal(p.hostLosses![0]!.host, 'b');
    assert.equal(p.hostLosses![0]!.newHost, 'a');
  }
  const victimLoss = placements.get(victim!)!.hostLosses![0]!;
  assert.equal(victimLoss.restoredFromStep, 1, 'restored from the snapshot of step 1');
  assert.deepEqual(victimLoss.lostSteps, [2]);

  // Every command ran on the host of its episode's sandbox (task queue and the worker's engine).
  const hostsUsed = new Set<string>();
  for (const cell of result.cells) {
    const history = await client.workflow.getHandle(cell.episodeId!).fetchHistory();
    const scheduled = new Map<string, { host: string; queue: string }>();
    for (const event of history.events ?? []) {
      const attrs = event.activityTaskScheduledEventAttributes;
      if (attrs?.activityType?.name === 'execCommand') {
        const input = fromPayloadsAtIndex<{ handle: SandboxHandle }>(defaultPayloadConverter, 0, attrs.input?.payloads ?? []);
        scheduled.set(String(event.eventId), { host: input.handle.host, queue: attrs.taskQueue?.name ?? '' });
      }
      const startedAttrs = event.activityTaskStartedEventAttributes;
      const command = startedAttrs && scheduled.get(String(startedAttrs.scheduledEventId));
      if (command) {
        assert.equal(command.queue, hostQueue(taskQueue, command.host));
        assert.match(
          machineOf(startedAttrs.identity ?? ''),
          new RegExp(`docker=${endpoints[command.host as 'a' | 'b']}$`),
          `${cell.episodeId}: a command ran off its host`,
        );
        hostsUsed.add(command.host);
      }
    }
  }
  assert.deepEqual([...hostsUsed].sort(), ['a', 'b']);

  // No model call of a completed step was made again: one request per episode and step.
  const perStep = new Map<string, number>();
  for (const request of llm.requests) {
    const step = stepOf(request);
    const key = step === 1 ? `step1:${perStep.size}` : `${tokenOf(request)}:${step}`;
    perStep.set(key, (perStep.get(key) ?? 0) + 1);
  }
  assert.equal(llm.requests.filter((r) => stepOf(r) === 1).length, 8, 'one first call per episode');
  for (const [key, count] of perStep) assert.equal(count, 1, `${key} asked ${count} times`);
  // The lost step's observation told the agent, and the lost change is gone from the workspace. The
  // victim is found by the token its step 1 printed: B's other episode may have been lost in step 1,
  // before it had a token or a progress file.
  const victimToken = TOKEN.exec(readFileSync(path.join(artifactsDir, episodeKeys(victim!).execOutput(1)), 'utf8'))?.[1];
  assert.ok(victimToken, `${victim} printed its token in step 1`);
  const toldAtStep3 = llm.requests.find((r) => stepOf(r) === 3 && tokenOf(r) === victimToken)!;
  assert.match(JSON.stringify(toldAtStep3.body), /\(b\) was lost/, 'the victim was told its host was lost');
  const afterLoss = llm.requests.find((r) => stepOf(r) === 4 && tokenOf(r) === victimToken)!;
  const lastObservation = JSON.stringify((afterLoss.body as { messages: unknown[] }).messages.at(-1));
  assert.match(lastObservation, /one/);
  assert.doesNotMatch(lastObservation, /two/);
  // The host search attribute followed the moved sandboxes.
  for (const [id] of moved) assert.equal((await client.workflow.getHandle(id).describe()).typedSearchAttributes.get(SA.host), 'a', id);
  const perHost = (host: string) => [...placements.values()].filter((p) => p.host === host || p.hostLosses?.some((l) => l.host === host)).length;
  t.diagnostic(
    `episodes placed on a: ${perHost('a')}, on b: ${perHost('b')}; moved off b: ${moved.map(([id]) => id).join(', ')}; ` +
      `most GPU sandboxes at once: ${busiest}; ${samples.length} label samples`,
  );
  await connection.close();
});

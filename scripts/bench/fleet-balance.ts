/**
 * Whether a sweep spreads over a fleet by free slots (issue 11, point 6): four host agents
 * (`mlgym worker --role host --host hN --slots S`, here with 1, 2, 3 and 6 slots) and a control
 * worker, all processes of this machine on the local runtime, run a sweep whose episodes each hold
 * their sandbox for a few seconds. The episodes outnumber the fleet's 12 slots, so every host runs
 * full. Prints, per host: its slots, the most sandboxes it held at once (from the episodes'
 * histories) and how many episodes it ran, against its share of the slots.
 *
 *   node --import tsx scripts/bench/fleet-balance.ts [--episodes N] [--hold-seconds S] [--json]
 *
 * Not part of CI: a measurement, not a test.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { mapLimited } from '../../activities/async';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { SandboxHandle } from '../../lib/episode';
import type { SweepResult } from '../../lib/sweep';
import { startWorkerProcess, type WorkerProcess } from '../../tests/support/processes';
import { startTemporal } from '../../tests/support/temporal';
import { launchSweep, loadSweepPlan } from '../lib/sweeps';
import { GUESS_TASK, log, writeReplay } from './episodes';

const HOSTS = [
  { id: 'h1', slots: 1 },
  { id: 'h2', slots: 2 },
  { id: 'h3', slots: 3 },
  { id: 'h4', slots: 6 },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { episodes: { type: 'string', default: '48' }, 'hold-seconds': { type: 'string', default: '6' }, json: { type: 'boolean' } },
  });
  const episodes = Number(values.episodes);
  const holdSec = Number(values['hold-seconds']);
  if (!Number.isInteger(episodes) || episodes < 12) throw new Error('--episodes must be an integer of at least 12 (the fleet has 12 slots)');
  if (!Number.isInteger(holdSec) || holdSec < 1 || holdSec > 20)
    throw new Error('--hold-seconds must be an integer from 1 to 20 (the task allows commands of 25 s)');
  const totalSlots = HOSTS.reduce((sum, h) => sum + h.slots, 0);

  const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-bench-fleet-'));
  const env = await startTemporal();
  const taskQueue = `bench-fleet-${process.pid}`;
  const common = {
    TEMPORAL_ADDRESS: env.address,
    MLGYM_TASK_QUEUE: taskQueue,
    MLGYM_ARTIFACTS: path.join(scratch, 'artifacts'),
    // One machine's folder stands for the fleet's shared storage.
    MLGYM_ARTIFACTS_SHARED: '1',
    MLGYM_REAP_DOCKER: '0',
  };
  log(`starting a control worker and ${HOSTS.length} host agents (${HOSTS.map((h) => `${h.id}: ${h.slots} slot(s)`).join(', ')})`);
  const workers: WorkerProcess[] = [await startWorkerProcess(common, path.join(scratch, 'control.log'), ['--role', 'control'])];
  for (const host of HOSTS) {
    workers.push(
      await startWorkerProcess(common, path.join(scratch, `${host.id}.log`), [
        '--role',
        'host',
        '--host',
        host.id,
        '--slots',
        String(host.slots),
        '--cpus',
        '64',
      ]),
    );
  }
  try {
    const spec = path.join(scratch, 'sweep.yaml');
    const replay = writeReplay(path.join(scratch, 'hold.traj'), [`sleep ${holdSec}`]);
    writeFileSync(
      spec,
      YAML.stringify({
        name: `fleet-balance-${process.pid}`,
        tasks: [GUESS_TASK],
        models: [`replay:${replay}`],
        runs: episodes,
        // Twice the slots: hosts are never short of work, so only their room decides.
        concurrency: 2 * totalSlots,
        runtime: 'local',
        limits: { max_steps: 5 },
      }),
    );
    const startedAt = Date.now();
    const { workflowId } = await launchSweep(env.client, await loadSweepPlan(spec), taskQueue);
    const sweep = env.client.workflow.getHandle(workflowId);
    log(`sweep of ${episodes} episodes started, concurrency ${2 * totalSlots}`);

    const outcome = (await sweep.result()) as SweepResult;
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    const lives = await mapLimited(
      outcome.cells.flatMap((c) => (c.episodeId ? [c.episodeId] : [])),
      8,
      async (id) => sandboxLife((await env.client.workflow.getHandle(id).fetchHistory()).events ?? []),
    );
    const rows = HOSTS.map((h) => {
      const mine = lives.filter((l) => l?.host === h.id) as SandboxLife[];
      return {
        host: h.id,
        slots: h.slots,
        peakHeld: mostAtOnce(mine),
        episodes: mine.length,
        shareOfEpisodes: mine.length / episodes,
        shareOfSlots: h.slots / totalSlots,
      };
    });
    const figures = { episodes, completed: outcome.counts.completed, seconds, hosts: rows };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      return;
    }
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    process.stdout.write(
      [
        `${outcome.counts.completed} of ${episodes} episodes completed in ${seconds} s over ${HOSTS.length} hosts (${totalSlots} slots)`,
        'host  slots  most held at once  episodes  share of episodes  share of slots',
        ...rows.map(
          (r) =>
            `${r.host.padEnd(4)}  ${String(r.slots).padStart(5)}  ${String(r.peakHeld).padStart(17)}  ${String(r.episodes).padStart(8)}  ${pct(r.shareOfEpisodes).padStart(17)}  ${pct(r.shareOfSlots).padStart(14)}`,
        ),
        '',
      ].join('\n'),
    );
  } finally {
    for (const w of workers) await w.kill('SIGTERM');
    await env.teardown();
  }
}

interface SandboxLife {
  host: string;
  from: number;
  to: number;
}

/**
 * When an episode surely held its sandbox, from its history: from prepareSandbox's completion (its
 * result names the host) to the start of teardownSandbox. The sandbox lives a little longer on both
 * sides, so overlaps counted from these are a lower bound (by milliseconds).
 */
function sandboxLife(events: temporal.api.history.v1.IHistoryEvent[]): SandboxLife | undefined {
  const typeOf = new Map<string, string>();
  let host: string | undefined;
  let from: number | undefined;
  let to: number | undefined;
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && typeOf.get(String(completed.scheduledEventId)) === 'prepareSandbox') {
      host = fromPayloadsAtIndex<SandboxHandle>(defaultPayloadConverter, 0, completed.result?.payloads ?? []).host;
      from = tsToMs(e.eventTime);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started && typeOf.get(String(started.scheduledEventId)) === 'teardownSandbox') to = tsToMs(e.eventTime);
  }
  return host !== undefined && from !== undefined && to !== undefined ? { host, from, to } : undefined;
}

/** The most intervals open at one instant. */
function mostAtOnce(lives: SandboxLife[]): number {
  const edges = lives
    .flatMap((l) => [
      { at: l.from, delta: 1 },
      { at: l.to, delta: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (open += edge.delta));
  return most;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

/**
 * How many episodes one worker process holds while each waits on a long command (issue 11,
 * point 6): N episodes on the local runtime whose first command is `sleep`, against one
 * `mlgym worker` process. Starts its own Temporal dev server and the worker (a child process, so
 * its memory is its own), then prints:
 *   - episodes held (each with its command running and its execCommand activity polling it),
 *   - the worker's resident memory (peak while holding them) and CPU use meanwhile,
 *   - the step overhead of a probe episode (steps of `true`) run while the N are held.
 * Then cancels every episode (each stops its command and autosubmits) and stops everything.
 *
 *   node --import tsx scripts/bench/capacity.ts [--episodes N] [--hold-seconds S] [--json]
 *
 * Not part of CI: a measurement, not a test (the figures depend on the machine).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { mapLimited } from '../../activities/async';
import { EpisodeInput } from '../../lib/episode';
import { startWorkerProcess } from '../../tests/support/processes';
import { startTemporal } from '../../tests/support/temporal';
import { episodeWorkflow } from '../../workflows/episode';
import { loadTask } from '../lib/tasks';
import { GUESS_TASK, log, median, stepIntervalsMs, writeReplay } from './episodes';

/** Resident memory (MB) and CPU seconds (user + system) of a process, from /proc. */
function usage(pid: number): { rssMb: number; cpuSec: number } {
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMb: Math.round(rssKb / 1024), cpuSec: (Number(fields[11]) + Number(fields[12])) / 100 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { episodes: { type: 'string', default: '500' }, 'hold-seconds': { type: 'string', default: '60' }, json: { type: 'boolean' } },
  });
  const episodes = Number(values.episodes);
  const holdSec = Number(values['hold-seconds']);
  if (!Number.isInteger(episodes) || episodes < 1 || episodes > 5000) throw new Error('--episodes must be an integer from 1 to 5000');
  if (!Number.isFinite(holdSec) || holdSec < 10) throw new Error('--hold-seconds must be at least 10');

  const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-bench-capacity-'));
  const artifactsDir = path.join(scratch, 'artifacts');
  // The command outlives the hold: the episodes are cancelled, not finished.
  const sleeper = writeReplay(path.join(scratch, 'sleep.traj'), [`sleep ${holdSec * 20 + 600}`]);
  const probeSteps = 20;
  const probe = writeReplay(
    path.join(scratch, 'probe.traj'),
    Array.from({ length: probeSteps }, () => 'true'),
  );

  log('starting the Temporal dev server and one `mlgym worker` process');
  const env = await startTemporal();
  const taskQueue = `bench-capacity-${process.pid}`;
  const worker = await startWorkerProcess(
    {
      TEMPORAL_ADDRESS: env.address,
      MLGYM_TASK_QUEUE: taskQueue,
      MLGYM_ARTIFACTS: artifactsDir,
      // Every waiting episode holds one activity (its command's poller), plus room for the rest.
      MLGYM_MAX_ACTIVITIES: String(episodes + 50),
      MLGYM_REAP_DOCKER: '0',
    },
    path.join(scratch, 'worker.log'),
  );
  const pid = worker.child.pid!;
  const task = loadTask(GUESS_TASK);
  // The task's 10 s command timeout would end the sleep long before the hold.
  const config = { ...task.config, command_timeout: 24 * 3600 };
  const input = (id: string, traj: string) =>
    EpisodeInput.parse({
      episodeId: id,
      taskDir: task.dir,
      task: config,
      model: `replay:${traj}`,
      modelParams: {},
      runtime: 'local',
      limits: { max_steps: probeSteps + 5 },
    });
  const handles: WorkflowHandle<typeof episodeWorkflow>[] = [];
  try {
    log(`starting ${episodes} episodes whose first command sleeps`);
    const startedAt = Date.now();
    const ids = Array.from({ length: episodes }, (_, i) => `bench-capacity-${process.pid}-${i}`);
    handles.push(...(await mapLimited(ids, 20, (id) => env.client.workflow.start(episodeWorkflow, { workflowId: id, taskQueue, args: [input(id, sleeper)] }))));

    // Held: the episode's command runs and its execCommand activity has started (it polls the command).
    const heldCount = async () =>
      (
        await mapLimited(handles, 20, async (h) =>
          ((await h.describe()).raw.pendingActivities ?? []).some(
            (a) => a.activityType?.name === 'execCommand' && Number(a.attempt ?? 1) >= 1 && a.lastStartedTime,
          ),
        )
      ).filter(Boolean).length;
    let held = 0;
    for (let round = 0; held < episodes && Date.now() - startedAt < 30 * 60_000; round++) {
      await sleep(5000);
      held = await heldCount();
      log(`${held}/${episodes} episodes waiting on their command; worker RSS ${usage(pid).rssMb} MB`);
    }
    const allHeldSec = Math.round((Date.now() - startedAt) / 1000);

    log(`holding for ${holdSec} s`);
    const cpuBefore = usage(pid).cpuSec;
    let peakRssMb = 0;
    const holdStart = Date.now();
    while (Date.now() - holdStart < holdSec * 1000) {
      peakRssMb = Math.max(peakRssMb, usage(pid).rssMb);
      await sleep(2000);
    }
    const cpuShare = (usage(pid).cpuSec - cpuBefore) / holdSec;
    const stillHeld = await heldCount();

    log(`a probe episode of ${probeSteps} steps of \`true\` while they wait`);
    const probeId = `bench-capacity-${process.pid}-probe`;
    await env.client.workflow.execute(episodeWorkflow, { workflowId: probeId, taskQueue, args: [input(probeId, probe)] });
    const events = (await env.client.workflow.getHandle(probeId).fetchHistory()).events ?? [];
    const probeStepMs = Math.round(median(stepIntervalsMs(events)));

    const figures = {
      episodes,
      held: stillHeld,
      secondsToHoldAll: allHeldSec,
      workerPeakRssMb: peakRssMb,
      workerCpuWhileHolding: Math.round(cpuShare * 100) / 100,
      probeStepMs,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else
      process.stdout.write(
        [
          `episodes held:         ${stillHeld} of ${episodes}, each waiting on its command (all held ${allHeldSec} s after the first start)`,
          `worker RSS:            ${peakRssMb} MB peak over ${holdSec} s of holding them (one \`mlgym worker\` process)`,
          `worker CPU:            ${figures.workerCpuWhileHolding} cores on average while holding them`,
          `step while held:       ${probeStepMs} ms (median interval between model calls of a probe episode, ${probeSteps} steps of \`true\`, local runtime)`,
          '',
        ].join('\n'),
      );
  } finally {
    log('cancelling the episodes (each stops its command, autosubmits, removes its sandbox)');
    await mapLimited(handles, 20, (h) => h.cancel().catch(() => undefined));
    await mapLimited(handles, 20, (h) => h.result().catch(() => undefined));
    await worker.kill('SIGTERM');
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

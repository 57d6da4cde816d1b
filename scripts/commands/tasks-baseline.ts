import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TASK_QUEUE } from '../../config/temporal';
import { EpisodeInput, RuntimeKind } from '../../lib/episode';
import { SA } from '../../lib/search-attributes';
import { starterModel } from '../../lib/model-spec';
import { Conditions, DEFAULT_CONDITIONS, DEFAULT_SCALE, Scale, taskAtScale } from '../../lib/task-scale';
import { runtimeKind } from '../../activities/sandbox/runtimes';
import { episodeWorkflow } from '../../workflows/episode';
import { currentSetup, describeMeasurement, writeBaseline, type CachedBaseline } from '../lib/baseline-cache';
import { checkGpuHosts } from '../lib/fleet';
import { followEpisode } from '../lib/follow';
import { usage } from '../lib/help';
import { printJson, say, flagError, UsageError } from '../lib/output';
import { workflowUiLink } from '../lib/settings';
import { checkDataReady } from '../lib/task-at-scale';
import { loadTask } from '../lib/tasks';
import { withClient } from '../lib/temporal-client';

const BaselineFlags = z.object({
  scale: Scale.default(DEFAULT_SCALE),
  conditions: Conditions.default(DEFAULT_CONDITIONS),
  runtime: RuntimeKind.default('docker'),
  json: z.boolean().default(false),
});

/**
 * `mlgym tasks baseline <id> --scale S`: measures the starter's score at a scale as an episode
 * does it (same image, data, limits and trusted evaluator, on a worker that takes the task), so
 * the measurement is durable and lands on a host with the task's GPUs. Its "model" is `starter:`
 * (activities/model/starter.ts): run the task's baseline_command, then submit. The score is cached with the hashes of
 * the image, data and task files it was measured with; `tasks list`, `run` and `sweep start` show
 * it as the task's baseline at that scale while that setup stands.
 */
export async function measureBaseline(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { scale: { type: 'string' }, conditions: { type: 'string' }, runtime: { type: 'string' }, json: { type: 'boolean' } },
  });
  const parsed = BaselineFlags.safeParse(values);
  if (!parsed.success) throw flagError(parsed.error, 1);
  if (positionals.length !== 1) throw new UsageError(usage('tasks', 'baseline'));
  const flags = parsed.data;
  const loaded = loadTask(positionals[0]);
  // Measured afresh: the task at the scale without any cached number.
  const task = taskAtScale(loaded.config, flags.scale, flags.conditions);
  checkDataReady(task);
  await runtimeKind(flags.runtime)
    .checkAvailable()
    .catch((err: Error) => {
      throw new UsageError(err.message.split('\n')[0]);
    });
  const episodeId = `baseline--${task.id}--${flags.scale}--${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const input = EpisodeInput.parse({
    episodeId,
    taskDir: loaded.dir,
    task,
    model: starterModel(task.baseline_command),
    modelParams: {},
    runtime: flags.runtime,
    limits: { max_steps: 3, cost_limit_usd: 0 },
    scale: flags.scale,
    conditions: flags.conditions,
  });

  return withClient(async (client) => {
    await checkGpuHosts(client, TASK_QUEUE, [{ id: task.id, gpus: task.resources.gpus }]);
    const started = Date.now();
    await client.workflow.start(episodeWorkflow, {
      workflowId: episodeId,
      taskQueue: TASK_QUEUE,
      args: [input],
      staticSummary: `baseline of ${task.id} at the ${flags.scale} scale`,
    });
    say(
      `measuring the ${flags.scale}-scale baseline of ${task.id}: ${task.baseline_command ?? 'the starter as it is'}, then submit\n  ${workflowUiLink(episodeId)}`,
    );
    const outcome = await followEpisode(client, episodeId);
    const seconds = (Date.now() - started) / 1000;
    const scores = outcome.score;
    if (outcome.status !== 'COMPLETED' || outcome.exitStatus !== 'submitted' || !scores || !(task.metric.name in scores)) {
      say(`the baseline of ${task.id} was not scored: ${outcome.error ?? outcome.exitStatus ?? outcome.status}\n  ${outcome.uiLink}`);
      if (flags.json)
        printJson({ task: task.id, scale: flags.scale, status: outcome.status, exitStatus: outcome.exitStatus ?? null, error: outcome.error ?? null });
      return 1;
    }
    const description = await client.workflow.getHandle(episodeId).describe();
    const entry: CachedBaseline = {
      task: task.id,
      scale: flags.scale,
      scores,
      setup: currentSetup(task, loaded.dir),
      measuredAt: new Date().toISOString(),
      host: description.typedSearchAttributes.get(SA.host) ?? hostname(),
      seconds,
      episodeId,
    };
    const file = writeBaseline(entry);
    say(`${task.id} at the ${flags.scale} scale: ${task.metric.name} ${scores[task.metric.name]} (${describeMeasurement(entry)})\n  cached in ${file}`);
    if (flags.json) printJson({ ...entry, file });
    return 0;
  });
}

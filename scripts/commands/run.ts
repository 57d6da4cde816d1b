import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { EpisodeInput, EpisodeLimits, ModelParams, RuntimeKind } from '../../lib/episode';
import { formatModelSpec, parseModelSpec } from '../../lib/model-spec';
import path from 'node:path';
import { resolvePricing } from '../../lib/pricing';
import { checkProviderReady } from '../../activities/model/providers';
import { runtimeKind } from '../../activities/sandbox/runtimes';
import { episodeWorkflow } from '../../workflows/episode';
import { loadAgentForEpisodes } from '../lib/agent-file';
import { checkDataReady, loadTaskAt } from '../lib/task-at-scale';
import { Conditions, DEFAULT_CONDITIONS, DEFAULT_SCALE, Scale } from '../../lib/task-scale';
import { withClient } from '../lib/temporal-client';
import { checkGpuHosts } from '../lib/fleet';
import { printJson, say, flagError, UsageError } from '../lib/output';
import { TASK_QUEUE } from '../../config/temporal';
import { workflowUiLink } from '../lib/settings';
import { followEpisode, type EpisodeOutcome } from '../lib/follow';

const RunFlags = z.object({
  task: z.string({ error: '--task is required (a task id from `mlgym tasks list`, or a path to a task.yaml)' }),
  model: z.string({ error: '--model is required (openai:<model>, anthropic:<model> or replay:<trajectory file>)' }),
  runs: z.coerce.number().int().positive().default(1),
  'max-steps': z.coerce.number().int().positive().optional(),
  'cost-limit': z.coerce.number().nonnegative().optional(),
  runtime: RuntimeKind.default('docker'),
  temperature: z.coerce.number().min(0).max(2).optional(),
  'input-price': z.coerce.number().nonnegative().optional(),
  'output-price': z.coerce.number().nonnegative().optional(),
  'history-observations': z.coerce.number().int().nonnegative().optional(),
  'agent-config': z.string().min(1).optional(),
  'validate-split': z.enum(['test', 'validation']).optional(),
  'observation-chars': z.coerce.number().int().nonnegative().optional(),
  scale: Scale.default(DEFAULT_SCALE),
  conditions: Conditions.default(DEFAULT_CONDITIONS),
  'keep-sandbox': z.boolean().default(false),
  wait: z.boolean().default(false),
  json: z.boolean().default(false),
});

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      task: { type: 'string' },
      model: { type: 'string' },
      runs: { type: 'string' },
      'max-steps': { type: 'string' },
      'cost-limit': { type: 'string' },
      runtime: { type: 'string' },
      temperature: { type: 'string' },
      'input-price': { type: 'string' },
      'output-price': { type: 'string' },
      'history-observations': { type: 'string' },
      'agent-config': { type: 'string' },
      'validate-split': { type: 'string' },
      'observation-chars': { type: 'string' },
      scale: { type: 'string' },
      conditions: { type: 'string' },
      'keep-sandbox': { type: 'boolean' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const parsed = RunFlags.safeParse(values);
  if (!parsed.success) throw flagError(parsed.error);
  const flags = parsed.data;

  // Everything that can be checked before starting is checked here, so a typo costs nothing.
  // The agent first: loading an MLGym task file writes its import, a broken agent must not.
  const agent = flags['agent-config'] ? loadAgentForEpisodes(flags['agent-config'], flags['history-observations']) : undefined;
  const task = loadTaskAt(flags.task, flags);
  checkDataReady(task.config);
  // A replay path is read by the worker, whose working directory may differ: make it absolute.
  const spec = await preflight(async () => parseModelSpec(absoluteReplayPath(flags.model)));
  const model = formatModelSpec(spec);
  const modelParams = ModelParams.parse({
    ...(flags.temperature !== undefined && { temperature: flags.temperature }),
    ...(flags['input-price'] !== undefined && { input_price_per_mtok: flags['input-price'] }),
    ...(flags['output-price'] !== undefined && { output_price_per_mtok: flags['output-price'] }),
  });
  const limits = EpisodeLimits.parse({
    ...(flags['max-steps'] !== undefined && { max_steps: flags['max-steps'] }),
    ...(flags['cost-limit'] !== undefined && { cost_limit_usd: flags['cost-limit'] }),
    ...(flags['history-observations'] !== undefined && { history_observations: flags['history-observations'] }),
    ...(flags['validate-split'] !== undefined && { validate_split: flags['validate-split'] }),
    ...(flags['observation-chars'] !== undefined && { observation_chars: flags['observation-chars'] }),
  });
  const runtime = runtimeKind(flags.runtime);
  await preflight(async () => {
    resolvePricing(spec, modelParams, limits.cost_limit_usd);
    await checkProviderReady(spec);
    await runtime.checkAvailable();
  });
  if (runtime.warning) say(runtime.warning);

  return withClient(async (client) => {
    await checkGpuHosts(client, TASK_QUEUE, [{ id: task.config.id, gpus: task.config.resources.gpus }]);
    const batch = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(2).toString('hex')}`;
    const started = [];
    for (let run = 1; run <= flags.runs; run++) {
      const episodeId = `${task.config.id}--${slug(flags.model)}--${batch}--r${run}`;
      const input = EpisodeInput.parse({
        episodeId,
        taskDir: task.dir,
        task: task.config,
        model,
        modelParams,
        runtime: flags.runtime,
        limits,
        keepSandbox: flags['keep-sandbox'],
        scale: flags.scale,
        conditions: flags.conditions,
        ...(agent && { agent }),
      });
      const handle = await client.workflow.start(episodeWorkflow, {
        workflowId: episodeId,
        taskQueue: TASK_QUEUE,
        args: [input],
        staticSummary: `${task.config.id} with ${model} (run ${run}/${flags.runs})`,
        staticDetails: `max ${limits.max_steps} steps, cost limit $${limits.cost_limit_usd}, runtime ${flags.runtime}, scale ${flags.scale}, conditions ${flags.conditions}`,
      });
      say(`started ${episodeId}\n  ${workflowUiLink(episodeId)}`);
      started.push(handle);
    }
    if (!flags.wait) {
      if (flags.json)
        printJson({
          episodes: started.map((h) => ({ episodeId: h.workflowId, runId: h.firstExecutionRunId, uiLink: workflowUiLink(h.workflowId), status: 'RUNNING' })),
        });
      return 0;
    }
    const outcomes = await Promise.all(started.map((handle) => followEpisode(client, handle.workflowId)));
    for (const outcome of outcomes) say(describeOutcome(outcome));
    if (flags.json) printJson({ episodes: outcomes });
    return outcomes.every((o) => o.status === 'COMPLETED') ? 0 : 1;
  });
}

function describeOutcome(o: EpisodeOutcome): string {
  if (o.status !== 'COMPLETED') return `${o.episodeId}: ${o.status}: ${o.error ?? ''}\n  ${o.uiLink}`;
  return `${o.episodeId}: ${o.exitStatus}, score ${JSON.stringify(o.score ?? null)}, best ${o.bestScore ?? 'n/a'}, ${o.steps} steps, $${(o.costUsd ?? 0).toFixed(4)}\n  ${o.uiLink}`;
}

function slug(model: string): string {
  const [provider, ...rest] = model.split(':');
  const name = rest.join(':').split('/').pop() ?? '';
  return `${provider}-${name}`
    .replace(/\.traj$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 60);
}

/** Turns a failed pre-start check into a one-line usage error. */
async function preflight<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

function absoluteReplayPath(model: string): string {
  return model.startsWith('replay:') ? `replay:${path.resolve(model.slice('replay:'.length))}` : model;
}

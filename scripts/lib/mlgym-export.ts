import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { ArtifactStore } from '../../activities/artifacts/store';
import { episodeKeys } from '../../lib/artifact-keys';
import { sweepNameOf, sweepWorkflowId } from '../../lib/sweep-spec';
import { sweepWorkflow } from '../../workflows/sweep';
import { episodeInputOf } from './episode-input';
import { configStem, mlgymArgs, mlgymModelName, mlgymRunFolder, sweepRunIndex, type MlgymRun } from './mlgym-layout';
import { say, UsageError } from './output';
import { sweepStatus } from './sweeps';

export interface ExportedRun {
  episodeId: string;
  task: string;
  model: string;
  runIndex: number;
  folder: string;
}

export interface SkippedEpisode {
  /** The episode, or the sweep cell that has none yet. */
  id: string;
  /** The sweep cell's state: `completed` for a finished episode whose outputs could not be exported. */
  state: string;
  reason: string;
}

export interface ExportOutcome {
  out: string;
  /** `episode` or `sweep`, and its workflow id. */
  kind: 'episode' | 'sweep';
  workflowId: string;
  folders: ExportedRun[];
  skipped: SkippedEpisode[];
}

/** An episode whose outputs cannot be exported (not finished, outputs missing or of an older shape). */
class NotExportable extends UsageError {}

/**
 * The fields MLGym's readers index (process_trajectories, process_results, the visualiser): a
 * trajectory written before ours were MLGym-shaped lacks them, and MLGym's code would crash on it.
 */
const MlgymReadableTrajectory = z.looseObject({
  trajectory: z.array(z.looseObject({ action: z.string(), observation: z.string() })),
  history: z
    .array(z.looseObject({ role: z.string(), action: z.string().optional() }))
    .refine((entries) => entries.filter((e) => e.role === 'assistant').at(-1)?.action !== undefined, 'the last assistant entry has no `action`'),
  info: z.looseObject({ exit_status: z.string(), model_stats: z.looseObject({ task_cost: z.number() }) }),
});

/**
 * Writes the finished episodes of an episode id or a sweep id into `out` in MLGym's layout (see
 * mlgym-layout.ts). A sweep exports every finished cell's episode; unfinished cells are skipped.
 */
export async function exportMlgym(client: Client, store: ArtifactStore, id: string, out: string, options: { runIndex?: number } = {}): Promise<ExportOutcome> {
  const direct = await describe(client, id);
  if (direct && direct.type !== sweepWorkflow.name) {
    const folder = await exportEpisode(client, store, direct, out, options.runIndex);
    return { out, kind: 'episode', workflowId: id, folders: [folder], skipped: [] };
  }
  const workflowId = sweepWorkflowId(sweepNameOf(id));
  const sweep = direct ?? (await describe(client, workflowId));
  if (!sweep || sweep.type !== sweepWorkflow.name) throw new UsageError(`no episode or sweep "${id}" on this server`);
  if (options.runIndex !== undefined) throw new UsageError('--run-index applies to a single episode; a sweep numbers its runs itself');
  const { workflowStatus, status } = await sweepStatus(client, sweep.workflowId);
  if (!status) throw new UsageError(`${sweep.workflowId} is ${workflowStatus} and gave no status (is a worker running?)`);
  const outcome: ExportOutcome = { out, kind: 'sweep', workflowId: sweep.workflowId, folders: [], skipped: [] };
  for (const cell of status.cells) {
    if (cell.state !== 'completed' || !cell.episodeId) {
      outcome.skipped.push({ id: cell.episodeId ?? cell.id, state: cell.state, reason: `cell is ${cell.state}` });
      continue;
    }
    const episode = await describe(client, cell.episodeId);
    try {
      if (!episode) throw new NotExportable(`episode ${cell.episodeId} is not on this server`);
      outcome.folders.push(await exportEpisode(client, store, episode, out, cell.run - 1));
    } catch (err) {
      if (!(err instanceof NotExportable)) throw err;
      outcome.skipped.push({ id: cell.episodeId, state: cell.state, reason: err.message });
    }
  }
  return outcome;
}

async function describe(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function exportEpisode(
  client: Client,
  store: ArtifactStore,
  episode: WorkflowExecutionDescription,
  out: string,
  runIndex: number | undefined,
): Promise<ExportedRun> {
  const episodeId = episode.workflowId;
  if (episode.status.name !== 'COMPLETED') {
    throw new NotExportable(`episode ${episodeId} is ${episode.status.name}: only a completed episode has a trajectory and results to export`);
  }
  const input = await episodeInputOf(client, episode);
  const keys = episodeKeys(episodeId);
  const [trajectory, results] = await Promise.all([store.tryGet(keys.trajectory), store.tryGet(keys.results)]);
  if (!trajectory || !results) {
    const missing = trajectory ? keys.results : keys.trajectory;
    throw new NotExportable(`episode ${episodeId}: ${store.locate(missing)} does not exist (MLGYM_ARTIFACTS must name the store its worker wrote to)`);
  }
  const readable = MlgymReadableTrajectory.safeParse(JSON.parse(trajectory.toString('utf8')));
  if (!readable.success) {
    throw new NotExportable(
      `episode ${episodeId}: its trajectory predates MLGym-shaped outputs (${readable.error.issues[0].message} at ${readable.error.issues[0].path.join('.')}); MLGym's readers cannot read it`,
    );
  }

  const run: MlgymRun = {
    model: mlgymModelName(input.model),
    task: input.task.id,
    config: configStem(input),
    temperature: input.modelParams.temperature,
    topP: input.modelParams.top_p,
    costLimitUsd: input.limits.cost_limit_usd,
    runIndex: runIndex ?? (input.sweepId ? sweepRunIndex(episodeId) : undefined) ?? 0,
  };
  const folder = path.join(out, mlgymRunFolder(run));
  const argsFile = path.join(folder, 'args.yaml');
  const previous = existsSync(argsFile) ? (YAML.parse(readFileSync(argsFile, 'utf8')) as { mlgym_temporal?: { episode_id?: string } } | null) : null;
  const replaced = previous?.mlgym_temporal?.episode_id;
  if (replaced && replaced !== episodeId) say(`warning: ${folder} held episode ${replaced}; replaced by ${episodeId} (pass --run-index N to keep both)`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, `${input.task.id}.traj`), trajectory);
  writeFileSync(path.join(folder, 'results.json'), results);
  writeFileSync(argsFile, YAML.stringify(mlgymArgs(input, run)));
  return { episodeId, task: input.task.id, model: run.model, runIndex: run.runIndex, folder };
}

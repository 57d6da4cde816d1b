import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { EpisodeView, MlgymRunList, RunRow, StepView } from '../shared/api';
import { parseRunFolder } from '../../lib/mlgym-run-folder';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';
import { NotFoundError } from './errors';

/**
 * MLGym's own runs (`mlgym ui --mlgym-dir`): folders in MLGym's layout, each a `<task>.traj` and a
 * `results.json`, shown as episodes next to ours. Read from disk when asked, kept while unchanged.
 */
const Scores = z.record(z.string(), z.number());
const MlgymTrajectory = z.looseObject({
  trajectory: z.array(
    z.looseObject({
      action: z.string().default(''),
      observation: z.string().default(''),
      thought: z.string().optional(),
      response: z.string().optional(),
      execution_time: z.number().default(0),
    }),
  ),
  info: z.looseObject({
    exit_status: z.string().nullish(),
    model_stats: z.looseObject({ total_cost: z.number().optional() }).optional(),
  }),
});
const MlgymResults = z.looseObject({ agent: z.array(Scores).default([]), baseline: Scores.optional() });

interface MlgymRun {
  row: RunRow;
  view: EpisodeView;
}

const EVALUATION_SCORE = /Evaluation Score: (\{.*\})\s*$/;
/** The score dict MLGym prints, a Python repr of floats under string keys. */
const scoresIn = (observation: string): Record<string, number> | undefined => {
  const match = EVALUATION_SCORE.exec(observation.trimEnd());
  if (!match) return undefined;
  try {
    return Scores.parse(JSON.parse(match[1].replace(/'/g, '"')));
  } catch {
    return undefined;
  }
};

/** Our task of the same id knows the headline metric and its direction; MLGym's run folders do not. */
function metricOf(task: string, scores: Record<string, number> | undefined): { name: string; higherIsBetter: boolean } | undefined {
  if (listTaskIds().includes(task)) {
    const { metric } = loadTask(task).config;
    return { name: metric.name, higherIsBetter: metric.direction === 'max' };
  }
  const name = Object.keys(scores ?? {})[0];
  return name === undefined ? undefined : { name, higherIsBetter: true };
}

function readRun(dir: string, folder: string): MlgymRun {
  const names = parseRunFolder(folder);
  if (!names) throw new Error('not an MLGym run folder (<model>__<task>__<config>__t-..__p-..__c-..__install-..__..._run_<i>)');
  const trajFile = path.join(dir, folder, `${names.task}.traj`);
  const traj = MlgymTrajectory.parse(JSON.parse(readFileSync(trajFile, 'utf8')));
  const results = MlgymResults.parse(JSON.parse(readFileSync(path.join(dir, folder, 'results.json'), 'utf8')));
  const metric = metricOf(names.task, results.baseline ?? results.agent.at(-1));
  const headline = (scores: Record<string, number> | undefined) => (metric && scores ? scores[metric.name] : undefined);
  const last = headline(results.agent.at(-1));
  const values = results.agent.map(headline).filter((v): v is number => v !== undefined);
  const best = values.length ? (metric?.higherIsBetter === false ? Math.min(...values) : Math.max(...values)) : undefined;
  const steps: StepView[] = traj.trajectory.map((step, index) => {
    const command = step.action.trim();
    const isLast = index === traj.trajectory.length - 1;
    const validated = command.startsWith('validate') ? scoresIn(step.observation) : undefined;
    const submitted = command.startsWith('submit') && isLast ? results.agent.at(-1) : undefined;
    return {
      step: index + 1,
      thought: step.thought ?? step.response ?? '',
      action: step.action,
      observation: step.observation,
      executionSec: step.execution_time,
      ...(validated && { evaluation: { kind: 'validate' as const, metrics: validated, split: 'test' as const } }),
      ...(submitted && { evaluation: { kind: 'submit' as const, metrics: submitted, split: 'test' as const } }),
    };
  });
  // An autosubmission (MLGym's exit on a limit) is scored after the last step: its score is the last.
  const scored = steps.filter((s) => s.evaluation).length;
  const final = steps.at(-1);
  if (final && !final.evaluation && results.agent.length > scored) final.evaluation = { kind: 'submit', metrics: results.agent.at(-1)!, split: 'test' };
  const exitStatus = traj.info.exit_status ?? '';
  const costLimit = /__c-([\d.]+)__/.exec(folder);
  const row: RunRow = {
    episodeId: folder,
    task: names.task,
    model: names.model,
    status: exitStatus || 'unknown',
    running: false,
    ...(exitStatus && { exitStatus }),
    ...(best !== undefined && { bestScore: best }),
    ...(last !== undefined && { lastScore: last }),
    ...(headline(results.baseline) !== undefined && { baseline: headline(results.baseline) }),
    steps: steps.length,
    costUsd: traj.info.model_stats?.total_cost ?? 0,
    // MLGym's files keep no start time: the trajectory file's time stands in, the steps' run time for the duration.
    startedAt: statSync(trajFile).mtime.toISOString(),
    durationSec: steps.reduce((sum, s) => sum + (s.executionSec ?? 0), 0),
  };
  return {
    row,
    view: {
      summary: row,
      source: 'mlgym',
      metrics: metric ? [metric] : [],
      ...(results.baseline && { baseline: results.baseline }),
      limits: costLimit ? { costLimitUsd: Number(costLimit[1]) } : {},
      steps,
    },
  };
}

/** MLGym's runs under `dir`: its run folders, directly or one level down (MLGym's `trajectories/<user>/`). */
export class MlgymRuns {
  private readonly cache = new Map<string, { mtimeMs: number; run: MlgymRun }>();

  constructor(readonly dir: string) {}

  private runFolders(): { parent: string; folder: string }[] {
    const found: { parent: string; folder: string }[] = [];
    const visit = (parent: string, depth: number) => {
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        if (parseRunFolder(entry.name)) found.push({ parent, folder: entry.name });
        else if (depth < 1) visit(path.join(parent, entry.name), depth + 1);
      }
    };
    visit(this.dir, 0);
    return found.sort((a, b) => a.folder.localeCompare(b.folder));
  }

  private load(parent: string, folder: string): MlgymRun {
    const mtimeMs = statSync(path.join(parent, folder)).mtimeMs;
    const key = path.join(parent, folder);
    const cached = this.cache.get(key);
    if (cached && cached.mtimeMs === mtimeMs) return cached.run;
    const run = readRun(parent, folder);
    this.cache.set(key, { mtimeMs, run });
    return run;
  }

  list(): MlgymRunList {
    const rows: RunRow[] = [];
    const skipped: MlgymRunList['skipped'] = [];
    for (const { parent, folder } of this.runFolders()) {
      try {
        rows.push(this.load(parent, folder).row);
      } catch (err) {
        skipped.push({ folder, reason: (err as Error).message.split('\n')[0] });
      }
    }
    return { dir: this.dir, rows, skipped };
  }

  /** One run by its folder name: only a folder the listing finds, so no path outside `dir` is read. */
  view(folder: string): EpisodeView {
    const found = this.runFolders().find((f) => f.folder === folder);
    if (!found) throw new NotFoundError(`no MLGym run "${folder}" in ${this.dir}`);
    try {
      return this.load(found.parent, found.folder).view;
    } catch (err) {
      throw new Error(`the MLGym run "${folder}" in ${this.dir} does not read: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { isTestScore, type EpisodeResult } from '../../lib/episode';
import type { SweepResult } from '../../lib/sweep';
import { sweepWorkflowId, type SweepSpecInput } from '../../lib/sweep-spec';
import type { ExportOutcome } from '../../scripts/lib/mlgym-export';
import { launchSweep, loadSweepPlan } from '../../scripts/lib/sweeps';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { GUESS_TASK, reply, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { type CliRun, runMlgymCli } from '../support/processes';

/**
 * Acceptance 3 of issue 9: a sweep of 2 tasks x 2 runs (replay model, local runtime, real Temporal
 * dev server) exported with `mlgym export mlgym` is read by MLGym's own analysis code. MLGym's
 * mlgym/evaluation/utils.py (process_trajectories) and demo/trajectory_visualizer.py are copied
 * unchanged from its repository into a temporary directory at test time and run with python3; the
 * packages they import that this machine lacks (numpy, matplotlib, seaborn, streamlit: used only
 * for plots and the web page, never by the readers) are stubbed by empty modules placed after the
 * real ones on Python's path.
 */
const MLGYM_GIT = process.env.MLGYM_SOURCE_GIT ?? '/work/.mirror/facebookresearch+MLGym/repo';
/** The MLGym commit whose runs and configs are the project's fixtures. */
const MLGYM_COMMIT = '9d40c1b5035202018cd7091fb4e83a9c68b377c0';
const CHAOS_TASK = path.join(REPO_ROOT, 'tests/fixtures/tasks/chaos/task.yaml');
const SWEEP = 'mlgym-export';

let h: EpisodeHarness;
const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-export-'));
/** MLGym's readers glob relative to their working directory: the export goes under it. */
const PARENT = 'trajectories/ours';

/**
 * The same replies for every episode (by call). On guess (answer 7) the agent scores -1 twice and
 * submits; on chaos (which ships train.sh) it deletes its answer before submitting, so that task
 * ends `submission_not_found (submit)` with its one validate score.
 */
const REPLIES = [reply('echo 6 > answer.txt'), reply('validate'), reply('test -f train.sh && rm answer.txt; true'), reply('submit')];

let sweep: SweepResult;
const episodes = new Map<string, EpisodeResult>();
let exported: ExportOutcome;

function mlgym(args: string[]): Promise<CliRun> {
  return runMlgymCli(args, { TEMPORAL_ADDRESS: h.env.address });
}

before(async () => {
  h = await startEpisodeHarness();
  const replies = path.join(scratch, 'scripted.yaml');
  writeFileSync(replies, YAML.stringify({ replies: REPLIES }));
  const spec: SweepSpecInput = {
    name: SWEEP,
    tasks: [GUESS_TASK, CHAOS_TASK],
    models: [`replay:${replies}`],
    runs: 2,
    limits: { max_steps: 6, cost_limit_usd: 1 },
    concurrency: 2,
    runtime: 'local',
  };
  const specFile = path.join(scratch, 'sweep.yaml');
  writeFileSync(specFile, YAML.stringify(spec));
  await launchSweep(h.env.client, await loadSweepPlan(specFile), h.taskQueue);
  sweep = (await h.env.client.workflow.getHandle(sweepWorkflowId(SWEEP)).result()) as SweepResult;
  for (const cell of sweep.cells) episodes.set(cell.episodeId!, (await h.env.client.workflow.getHandle(cell.episodeId!).result()) as EpisodeResult);
});
after(async () => {
  await h?.stop();
});

const MODEL = 'replay-scripted.yaml';
const PATTERN = 'default__t-0.00__p-0.95__c-1.00__install-0__parallel_agents';
const folderOf = (task: string, run: number) => `${MODEL}__${task}__${PATTERN}_run_${run - 1}`;
const cellOf = (task: string, run: number) => sweep.cells.find((c) => c.task === task && c.run === run)!;

describe('mlgym export mlgym', () => {
  test('the sweep ran: guess submitted, chaos found no submission', () => {
    assert.equal(sweep.counts.completed, 4, JSON.stringify(sweep.cells));
    for (const run of [1, 2]) {
      assert.equal(cellOf('guess', run).exitStatus, 'submitted');
      assert.equal(cellOf('chaos', run).exitStatus, 'submission_not_found (submit)');
      assert.deepEqual(
        episodes.get(cellOf('guess', run).episodeId!)!.evaluations.map((e) => e.metrics),
        [{ Score: -1 }, { Score: -1 }],
      );
      assert.deepEqual(
        episodes.get(cellOf('chaos', run).episodeId!)!.evaluations.map((e) => e.metrics),
        [{ Score: 6 }],
      );
    }
  });

  test('a sweep id writes one MLGym run folder per finished cell: <task>.traj, results.json, args.yaml', async () => {
    const out = path.join(scratch, PARENT);
    const result = await mlgym(['export', 'mlgym', `sweep-${SWEEP}`, '--out', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    exported = JSON.parse(result.stdout) as ExportOutcome;
    assert.equal(exported.kind, 'sweep');
    assert.deepEqual(exported.skipped, []);
    const expected = ['chaos', 'guess'].flatMap((task) => [1, 2].map((run) => folderOf(task, run))).sort();
    assert.deepEqual(exported.folders.map((f) => path.basename(f.folder)).sort(), expected);
    assert.deepEqual(readdirSync(out).sort(), expected);
    for (const task of ['guess', 'chaos']) {
      for (const run of [1, 2]) {
        const folder = path.join(out, folderOf(task, run));
        assert.deepEqual(readdirSync(folder).sort(), ['args.yaml', `${task}.traj`, 'results.json'].sort());
        const args = YAML.parse(readFileSync(path.join(folder, 'args.yaml'), 'utf8'));
        assert.equal(args.mlgym_temporal.episode_id, cellOf(task, run).episodeId);
        assert.deepEqual(args.agent.model, {
          model_name: `replay:${path.join(scratch, 'scripted.yaml')}`,
          per_instance_cost_limit: 1,
          temperature: 0,
          top_p: 0.95,
        });
        assert.equal(args.environment.max_steps, 6);
      }
    }
  });

  test("an episode id exports that episode into its sweep run's folder", async () => {
    const out = path.join(scratch, 'single');
    const cell = cellOf('chaos', 2);
    const result = await mlgym(['export', 'mlgym', cell.episodeId!, '--out', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as ExportOutcome;
    assert.deepEqual(
      outcome.folders.map((f) => [f.episodeId, f.runIndex, path.basename(f.folder)]),
      [[cell.episodeId, 1, folderOf('chaos', 2)]],
    );
    assert.equal(
      readFileSync(path.join(out, folderOf('chaos', 2), 'chaos.traj'), 'utf8'),
      readFileSync(path.join(scratch, PARENT, folderOf('chaos', 2), 'chaos.traj'), 'utf8'),
    );
  });

  test('an unknown id is one line and exit code 2; --help answers', async () => {
    const unknown = await mlgym(['export', 'mlgym', 'no-such-episode', '--out', path.join(scratch, 'none')]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /no episode or sweep "no-such-episode"/);
    assert.ok(!existsSync(path.join(scratch, 'none')), 'nothing written');
    const help = await mlgym(['export', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stderr, /parallel_agents_run_<i>/);
    assert.match(help.stderr, /openai:gpt-4o -> openai-gpt-4o/);
  });

  test("MLGym's process_trajectories and trajectory visualiser read the export: every task, model and run, our scores and exit statuses", async (t) => {
    assert.ok(exported, 'the export test ran');
    const sources = mlgymSources();
    if (!sources) {
      t.skip(`MLGym's source is not at ${MLGYM_GIT} (set MLGYM_SOURCE_GIT to a clone of facebookresearch/MLGym)`);
      return;
    }
    const read = runMlgymReaders(sources, ['guess', 'chaos'], [MODEL]);
    for (const task of ['guess', 'chaos']) {
      const found = read.tasks[task][MODEL];
      // Its glob `*<model>__<task>__<pattern>*` found both runs, in run order (sorted folder names).
      assert.equal(found.scores.length, 2, `${task}: ${JSON.stringify(found)}`);
      for (const [i, run] of [1, 2].entries()) {
        const ours = episodes.get(cellOf(task, run).episodeId!)!;
        assert.deepEqual(
          found.scores[i].agent,
          ours.evaluations.filter(isTestScore).map((e) => e.metrics),
          `${task} run ${run} scores`,
        );
        assert.deepEqual(found.exit_statuses[i], read.exit_status_map[ours.exitStatus] ?? [ours.exitStatus], `${task} run ${run} exit status`);
        const steps = found.trajectories[i];
        assert.equal(steps.length, ours.steps);
        // The action as parsed from the reply (MLGym's readers strip it).
        assert.deepEqual([steps.at(-1)!.action.trim(), steps.at(-1)!.observation], ['submit', 'Exited (submit)']);
      }
    }
    // The visualiser parses task, model, settings and run from the folder names, and its
    // evaluation report shows our exit status and scores.
    const shown = read.visualiser.map((v) => ({ ...v, report: undefined }));
    const expected = ['chaos', 'guess'].flatMap((task) =>
      ['0', '1'].map((run) => ({
        task,
        model: MODEL,
        parser: 'default',
        temperature: '0.00',
        top_p: '0.95',
        cost_limit: '1.00',
        install: '0',
        suffix: 'parallel_agents',
        run_number: run,
        report: undefined,
      })),
    );
    assert.deepEqual(shown, expected);
    for (const view of read.visualiser) {
      const ours = episodes.get(cellOf(view.task, Number(view.run_number) + 1).episodeId!)!;
      assert.match(view.report, new RegExp(`Exit Status: ${ours.exitStatus.replace(/[()]/g, '\\$&')}`));
      assert.match(view.report, /Baseline: /);
    }
  });
});

/** MLGym's two readers at the fixtures' commit, or undefined when its repository is not on this machine. */
function mlgymSources(): { utils: string; visualiser: string } | undefined {
  const show = (file: string) => spawnSync('git', ['-C', MLGYM_GIT, 'show', `${MLGYM_COMMIT}:${file}`], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const utils = show('mlgym/evaluation/utils.py');
  const visualiser = show('demo/trajectory_visualizer.py');
  if (utils.status !== 0 || visualiser.status !== 0) return undefined;
  return { utils: utils.stdout, visualiser: visualiser.stdout };
}

interface MlgymRead {
  exit_status_map: Record<string, string[]>;
  tasks: Record<
    string,
    Record<string, { scores: { agent: Record<string, number>[] }[]; trajectories: { action: string; observation: string }[][]; exit_statuses: string[][] }>
  >;
  visualiser: {
    task: string;
    model: string;
    parser: string;
    temperature: string;
    top_p: string;
    cost_limit: string;
    install: string;
    suffix: string;
    run_number: string;
    report: string;
  }[];
}

/**
 * Runs MLGym's process_trajectories for each task (as its analysis scripts call it) and its
 * visualiser's file finder and loader on the export, from a temporary directory.
 */
function runMlgymReaders(sources: { utils: string; visualiser: string }, tasks: string[], models: string[]): MlgymRead {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-readers-'));
  writeFileSync(path.join(dir, 'utils.py'), sources.utils);
  writeFileSync(path.join(dir, 'trajectory_visualizer.py'), sources.visualiser);
  const stubs = path.join(dir, 'stubs');
  const stub = (file: string, body = '') => {
    mkdirSync(path.dirname(path.join(stubs, file)), { recursive: true });
    writeFileSync(path.join(stubs, file), body);
  };
  stub('numpy/__init__.py');
  stub('matplotlib/__init__.py');
  stub('matplotlib/pyplot.py');
  stub('matplotlib/font_manager.py', 'FontProperties = None\nfontManager = None\n');
  stub('seaborn/__init__.py', 'def color_palette(*args, **kwargs):\n    return []\n');
  stub('streamlit/__init__.py');
  const driver = `
import json, sys
sys.path.insert(0, ${JSON.stringify(dir)})
sys.path.append(${JSON.stringify(stubs)})
import utils
import trajectory_visualizer as viz
parent, tasks, models = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
pattern = ${JSON.stringify(PATTERN)}
found = viz.find_trajectory_files(parent)
keys = ("task", "model", "parser", "temperature", "top_p", "cost_limit", "install", "suffix", "run_number")
print(json.dumps({
    "exit_status_map": utils.EXIT_STATUS_MAP,
    "tasks": {task: utils.process_trajectories(parent, pattern, task, models) for task in tasks},
    "visualiser": [{**{k: f[k] for k in keys}, "report": viz.load_content(f["filepath"])["history"][0]["content"]} for f in found],
}))
`;
  writeFileSync(path.join(dir, 'read_export.py'), driver);
  const run = spawnSync('python3', [path.join(dir, 'read_export.py'), PARENT, JSON.stringify(tasks), JSON.stringify(models)], {
    cwd: scratch,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as MlgymRead;
}

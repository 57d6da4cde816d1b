import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GUESS_TASK, reply, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { type CliRun, runMlgymCli } from '../support/processes';

/** The CLI contract end to end: `mlgym run --wait --json` and `mlgym episode status --json`. */
let h: EpisodeHarness;
before(async () => {
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
});

function mlgym(args: string[]): Promise<CliRun> {
  return runMlgymCli(args, { TEMPORAL_ADDRESS: h.env.address, MLGYM_TASK_QUEUE: h.taskQueue });
}

test('run --wait --json prints one JSON object with ids, status, scores, cost and steps; progress on stderr', async () => {
  h.llm.script(reply('echo 6 > answer.txt'), reply('validate'), reply('submit'));
  const run = await mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'local', '--max-steps', '10', '--wait', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { episodes: Record<string, unknown>[] };
  assert.equal(out.episodes.length, 1);
  const [episode] = out.episodes;
  assert.equal(episode.status, 'COMPLETED');
  assert.equal(episode.exitStatus, 'submitted');
  assert.deepEqual(episode.score, { Score: -1 });
  assert.equal(episode.steps, 3);
  assert.equal(typeof episode.costUsd, 'number');
  assert.match(String(episode.uiLink), /^http:\/\/localhost:8233\/namespaces\/default\/workflows\/guess--openai-gpt-4o--/);
  assert.ok(existsSync(String(episode.trajectoryPath)));
  assert.match(run.stderr, /started guess--openai-gpt-4o--/);
  assert.match(run.stderr, /WARNING: --runtime local does not isolate/);

  const status = await mlgym(['episode', 'status', String(episode.episodeId), '--json']);
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { workflowStatus: string; result: { exitStatus: string } };
  assert.equal(report.workflowStatus, 'COMPLETED');
  assert.equal(report.result.exitStatus, 'submitted');

  const cancel = await mlgym(['episode', 'cancel', String(episode.episodeId)]);
  assert.notEqual(cancel.code, 0);
  assert.match(cancel.stderr, /is COMPLETED, not running/);
});

test('--runs N starts N episodes with distinct ids; a failed episode makes the exit code non-zero', async () => {
  h.llm.script(reply('submit'), reply('submit'));
  const ok = await mlgym(['run', '--task', GUESS_TASK, '--model', 'openai:gpt-4o', '--runtime', 'local', '--runs', '2', '--wait', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const ids = (JSON.parse(ok.stdout) as { episodes: { episodeId: string }[] }).episodes.map((e) => e.episodeId);
  assert.equal(new Set(ids).size, 2);
  assert.ok(ids.every((id) => /--r[12]$/.test(id)));

  // A replay trajectory with one reply: the second model call has nothing to replay and fails the episode.
  const dir = mkdtempSync(path.join(tmpdir(), 'mlgym-replay-'));
  writeFileSync(path.join(dir, 'short.traj'), JSON.stringify({ trajectory: [{ response: reply('ls') }] }));
  const failed = await mlgym(['run', '--task', GUESS_TASK, '--model', `replay:${dir}/short.traj`, '--runtime', 'local', '--wait', '--json']);
  assert.equal(failed.code, 1);
  const episode = (JSON.parse(failed.stdout) as { episodes: { status: string; error: string }[] }).episodes[0];
  assert.equal(episode.status, 'FAILED');
  assert.match(episode.error, /short\.traj/);
});

test('tasks baseline measures the starter at a scale through an episode; run then shows that number as the baseline', async () => {
  // The guess task with a starter command, and a data root of its own for the cache.
  const taskDir = mkdtempSync(path.join(tmpdir(), 'mlgym-baseline-task-'));
  cpSync(path.dirname(GUESS_TASK), taskDir, { recursive: true });
  const yaml = readFileSync(path.join(taskDir, 'task.yaml'), 'utf8');
  writeFileSync(path.join(taskDir, 'task.yaml'), `${yaml}baseline_command: echo 9 > answer.txt\n`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mlgym-baseline-data-'));
  const cli = (args: string[]) => runMlgymCli(args, { TEMPORAL_ADDRESS: h.env.address, MLGYM_TASK_QUEUE: h.taskQueue, MLGYM_DATA_DIR: dataDir });

  const measured = await cli(['tasks', 'baseline', taskDir, '--scale', 'small', '--runtime', 'local', '--json']);
  assert.equal(measured.code, 0, measured.stderr);
  const entry = JSON.parse(measured.stdout) as { scores: Record<string, number>; scale: string; file: string; setup: { taskFiles: string } };
  // The secret is 7: the starter command's 9 scores -2 (the task file's declared -4 is for its answer.txt of 3).
  assert.deepEqual(entry.scores, { Score: -2 });
  assert.equal(entry.scale, 'small');
  assert.ok(existsSync(entry.file));
  assert.match(measured.stderr, /Score -2 \(measured by `mlgym tasks baseline`/);

  h.llm.script(reply('validate'), reply('submit'));
  const run = await cli(['run', '--task', taskDir, '--model', 'openai:gpt-4o', '--runtime', 'local', '--scale', 'small', '--wait', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const episode = (JSON.parse(run.stdout) as { episodes: { trajectoryPath: string; episodeId: string }[] }).episodes[0];
  const traj = JSON.parse(readFileSync(episode.trajectoryPath, 'utf8')) as { trajectory: { observation: string }[]; info: { setup: unknown } };
  assert.match(traj.trajectory[0].observation, /Baseline Score: \{'Score': -2(\.0)?\}/, 'the validate observation shows the measured baseline');
  assert.deepEqual(traj.info.setup, { scale: 'small', conditions: 'strict', gpus: 0, network: false });

  // A changed task file is another setup: the measurement no longer applies.
  writeFileSync(path.join(taskDir, 'answer.txt'), '5\n');
  h.llm.script(reply('validate'), reply('submit'));
  const again = await cli(['run', '--task', taskDir, '--model', 'openai:gpt-4o', '--runtime', 'local', '--scale', 'small', '--wait', '--json']);
  const second = (JSON.parse(again.stdout) as { episodes: { trajectoryPath: string }[] }).episodes[0];
  const observation = (JSON.parse(readFileSync(second.trajectoryPath, 'utf8')) as { trajectory: { observation: string }[] }).trajectory[0].observation;
  assert.match(observation, /Baseline Score: \{'Score': -4(\.0)?\}/);
});

test('a paper-scale GPU task with no worker taking GPU tasks is refused: one line, exit 2, nothing started', async () => {
  // Paper data "prepared" (its completion marker) so that the GPU check is the one that speaks.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mlgym-paper-data-'));
  mkdirSync(path.join(dataDir, 'imageClassificationCifar10', 'full'), { recursive: true });
  writeFileSync(path.join(dataDir, 'imageClassificationCifar10', 'full', '.prepared.json'), '{}');
  const before = await h.env.client.workflow.count();
  // A task queue no GPU host polls (this test's worker takes GPU tasks, as one `mlgym worker` with GPUs does).
  const run = await runMlgymCli(['run', '--task', 'imageClassificationCifar10', '--model', 'openai:gpt-4o', '--scale', 'paper', '--runtime', 'local'], {
    TEMPORAL_ADDRESS: h.env.address,
    MLGYM_TASK_QUEUE: `no-gpu-host-${process.pid}`,
    MLGYM_DATA_DIR: dataDir,
  });
  assert.equal(run.code, 2, run.stderr);
  // The local runtime's warning is said first, on its own line.
  const lines = run.stderr
    .trim()
    .split('\n')
    .filter((line) => !/does not isolate/.test(line));
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /task imageClassificationCifar10 needs 1 GPU\(s\) and no worker takes GPU tasks/);
  assert.equal((await h.env.client.workflow.count()).count, before.count);
});

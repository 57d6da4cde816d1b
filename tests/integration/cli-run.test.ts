import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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

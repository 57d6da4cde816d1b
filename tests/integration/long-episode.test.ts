import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * A 1,000-step scripted episode: continue-as-new keeps every run far below Temporal's warning
 * thresholds (10,240 events, 10 MB), and the trajectory across runs is seamless.
 */
const STEPS = 1000;
let h: EpisodeHarness;
before(async () => {
  h = await startEpisodeHarness();
});
after(async () => {
  h.llm.setResponder(undefined);
  await h?.stop();
});

test(`a ${STEPS}-step episode continues-as-new and stays small per run`, async (t) => {
  let asked = 0;
  h.llm.setResponder(() => reply(`echo step-${++asked}`));
  const input = h.input({ limits: { max_steps: STEPS, cost_limit_usd: 0, steps_per_run: 100 } });
  const started = Date.now();
  const result = await runEpisode(h, input);
  t.diagnostic(`${STEPS} steps in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.equal(result.exitStatus, 'autosubmission (max_steps)');
  // MLGym asks once more after the last step and records that reply without running it.
  assert.equal(result.steps, STEPS + 1);

  const runs = [];
  for await (const execution of h.env.client.workflow.list({ query: `WorkflowId = "${input.episodeId}"` })) runs.push(execution.runId);
  assert.equal(runs.length, STEPS / 100);
  let maxEvents = 0;
  let maxBytes = 0;
  let events = 0;
  let bytes = 0;
  for (const runId of runs) {
    const history = await h.env.client.workflow.getHandle(input.episodeId, runId).fetchHistory();
    const runEvents = history.events?.length ?? 0;
    const runBytes = temporal.api.history.v1.History.encode(history).finish().length;
    maxEvents = Math.max(maxEvents, runEvents);
    maxBytes = Math.max(maxBytes, runBytes);
    events += runEvents;
    bytes += runBytes;
  }
  t.diagnostic(
    `${runs.length} runs; per run at most ${maxEvents} events and ${maxBytes} bytes; ${(events / STEPS).toFixed(1)} events and ${Math.round(bytes / STEPS)} bytes per step`,
  );
  assert.ok(maxEvents < 10_240, `${maxEvents} events in one run`);
  assert.ok(maxBytes < 10 * 1024 * 1024, `${maxBytes} bytes in one run`);

  const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { action: string; observation: string }[] };
  assert.equal(traj.trajectory.length, STEPS + 1);
  traj.trajectory.slice(0, STEPS).forEach((step, i) => {
    assert.equal(step.action, `echo step-${i + 1}\n`);
    assert.equal(step.observation, `step-${i + 1}`);
  });
  assert.equal(traj.trajectory[STEPS].observation, 'Exited (max_steps)');
});

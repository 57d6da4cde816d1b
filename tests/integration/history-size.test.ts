import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

let h: EpisodeHarness;
before(async () => {
  h = await startEpisodeHarness();
});
after(async () => {
  h.llm.setResponder(undefined);
  await h?.stop();
});

test('a 200-step scripted episode keeps each run small: history events and bytes per step', async (t) => {
  const STEPS = 200;
  // Each step prints 4 KB: the output goes to the artifact store, only a preview may reach history.
  h.llm.setResponder(() => reply('python3 -c "print(\'x\' * 4000)"', 'Another step of the long scripted episode.'));
  const input = h.input({ limits: { max_steps: STEPS, cost_limit_usd: 0, steps_per_run: 100 }, model: 'openai:gpt-4o' });
  const started = Date.now();
  const result = await runEpisode(h, input);
  const wallSec = (Date.now() - started) / 1000;
  assert.equal(result.exitStatus, 'autosubmission (max_steps)');
  // MLGym asks once more after the last step and records that reply without running it.
  assert.equal(result.steps, STEPS + 1);

  const runs = [];
  for await (const execution of h.env.client.workflow.list({ query: `WorkflowId = "${input.episodeId}"` })) runs.push(execution.runId);
  assert.equal(runs.length, 2, 'continue-as-new every 100 steps gives two runs');
  let events = 0;
  let bytes = 0;
  for (const runId of runs) {
    const history = await h.env.client.workflow.getHandle(input.episodeId, runId).fetchHistory();
    const runEvents = history.events?.length ?? 0;
    const runBytes = temporal.api.history.v1.History.encode(history).finish().length;
    t.diagnostic(`run ${runId}: ${runEvents} events, ${runBytes} bytes`);
    assert.ok(runEvents < 10_240, `run has ${runEvents} events`);
    assert.ok(runBytes < 10 * 1024 * 1024, `run has ${runBytes} bytes`);
    events += runEvents;
    bytes += runBytes;
  }
  const perStepEvents = events / STEPS;
  const perStepBytes = bytes / STEPS;
  t.diagnostic(
    `200-step episode: ${events} events (${perStepEvents.toFixed(1)}/step), ${bytes} bytes (${Math.round(perStepBytes)} B/step), ${wallSec.toFixed(1)} s wall`,
  );
  // A step is a model call and a command: two activities and their workflow tasks, no payload growth.
  assert.ok(perStepEvents <= 16, `${perStepEvents} events per step`);
  assert.ok(perStepBytes < 8 * 1024, `${perStepBytes} bytes per step: output or transcripts leaked into history`);
});

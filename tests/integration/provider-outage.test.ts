import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * A provider outage costs time, not the episode: the LLM server answers 503 for five minutes, the
 * model call is retried with backoff the whole time, and the episode then finishes with its steps
 * intact (the outage does not count against the step limit).
 */
const OUTAGE_MS = Number(process.env.MLGYM_OUTAGE_TEST_MS ?? 5 * 60_000);

let h: EpisodeHarness;
before(async () => {
  h = await startEpisodeHarness();
});
after(async () => {
  h.llm.setResponder(undefined);
  await h?.stop();
});

test(`a ${OUTAGE_MS / 60_000}-minute 503 outage is waited out`, async (t) => {
  const replies = [reply('echo 5 > answer.txt'), reply('validate'), reply('echo 7 > answer.txt'), reply('submit')];
  let answered = 0;
  let outageUntil = 0;
  let failedDuringOutage = 0;
  h.llm.setResponder(() => {
    if (answered === 2 && outageUntil === 0) outageUntil = Date.now() + OUTAGE_MS;
    if (Date.now() < outageUntil) {
      failedDuringOutage += 1;
      return { fault: 'status', status: 503 };
    }
    return replies[answered++];
  });
  const started = Date.now();
  const result = await runEpisode(h, h.input({ limits: { max_steps: 4 } }));
  const waitedMs = Date.now() - started;
  t.diagnostic(`outage ${OUTAGE_MS / 1000} s: ${failedDuringOutage} requests answered 503, episode took ${(waitedMs / 1000).toFixed(0)} s`);
  assert.equal(result.exitStatus, 'submitted', 'all four steps ran: the outage used none of the 4-step limit');
  assert.equal(result.steps, 4);
  assert.deepEqual(result.score, { Score: 0 });
  assert.ok(failedDuringOutage >= 5, `retried with backoff through the outage (${failedDuringOutage} attempts)`);
  assert.ok(waitedMs >= OUTAGE_MS);
});

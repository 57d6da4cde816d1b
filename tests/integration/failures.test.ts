import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { rootCause } from '../../lib/failures';
import { ensureDocker } from '../support/docker';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * Failures that no retry can fix end the episode at once, with a message that says what to do,
 * instead of being retried until the policy gives up.
 */
let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;

before(async () => {
  docker = ensureDocker();
  h = await startEpisodeHarness();
});
after(async () => h?.stop());

test('a missing sandbox image fails the episode on the first attempt, naming the image', async (t) => {
  if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
  const image = `mlgym/no-such-image:missing-${process.pid}`;
  const base = h.input({ runtime: 'docker' });
  const input = { ...base, task: { ...base.task, image } };
  h.llm.script(reply('echo never runs'));
  const started = Date.now();
  const failure = await runEpisode(h, input).then(
    () => assert.fail('the episode should have failed'),
    (err: unknown) => err,
  );
  const seconds = (Date.now() - started) / 1000;
  assert.match(rootCause(failure), new RegExp(`sandbox image ${image.replace(/[.:]/g, '\\$&')} is not present: build it with`));
  // One attempt of prepareSandbox, failed as non-retryable: no retry was scheduled.
  const history = await h.env.client.workflow.getHandle(input.episodeId).fetchHistory();
  const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
  assert.deepEqual(
    attempts.map((e) => e.activityTaskStartedEventAttributes?.attempt),
    [1],
  );
  const failed = (history.events ?? []).find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes;
  assert.equal(failed?.failure?.applicationFailureInfo?.type, 'SandboxImageMissingError');
  assert.equal(failed?.failure?.applicationFailureInfo?.nonRetryable ?? false, false, 'the type, not the thrower, makes it final');
  assert.equal(failed?.retryState, temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
  assert.ok(seconds < 10, `the episode took ${seconds.toFixed(1)} s to fail`);
});

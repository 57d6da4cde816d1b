import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import { rootCause } from '../../lib/failures';
import { ensureDocker } from '../support/docker';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { runMlgymCli } from '../support/processes';
import { episodeWorkflow } from '../../workflows/episode';

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

test('a cancel during a hanging model call ends the episode within 10 s', async (t) => {
  // The provider accepts the request and never answers, and the request timeout is far away: only
  // the cancel can end the call.
  const timeout = process.env.MLGYM_MODEL_TIMEOUT_MS;
  process.env.MLGYM_MODEL_TIMEOUT_MS = '600000';
  t.after(() => {
    process.env.MLGYM_MODEL_TIMEOUT_MS = timeout;
  });
  const input = h.input({ runtime: 'local' });
  h.llm.script({ fault: 'hang' });
  const handle = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
  // The hang is the script's last item (an earlier test may have left a reply in it): the request
  // that took it is the latest one.
  const deadline = Date.now() + 60_000;
  while (h.llm.remaining() > 0) {
    assert.ok(Date.now() < deadline, 'the model request never arrived');
    await sleep(50);
  }
  const index = h.llm.requests.length - 1;
  const request = h.llm.requests[index];
  // Hanging for a while: well past a heartbeat or two, so nothing but the cancel ends it.
  await sleep(3000);
  assert.equal(request.closedAt, undefined, 'the request is still hanging');

  // As users cancel: `mlgym episode cancel` sends the graceful cancel signal.
  const cancelAt = Date.now();
  const cli = await runMlgymCli(['episode', 'cancel', input.episodeId], { TEMPORAL_ADDRESS: h.env.address });
  assert.equal(cli.code, 0, cli.stderr);
  const signalledAt = Date.now();
  const result = await handle.result();
  const endedAt = Date.now();
  while (request.closedAt === undefined && Date.now() - cancelAt < 15_000) await sleep(50);
  const seconds = (at: number | undefined) => (at === undefined ? 'never' : `${((at - cancelAt) / 1000).toFixed(1)} s`);
  t.diagnostic(
    `after \`mlgym episode cancel\` started: signal sent ${seconds(signalledAt)}, episode ended ${seconds(endedAt)}, model request aborted ${seconds(request.closedAt)}`,
  );

  assert.equal(result.exitStatus.replace(/^\w+ \((\w+)\)$/, '$1'), 'exit_cancel', result.exitStatus);
  assert.ok(endedAt - cancelAt < 10_000, `the episode ended ${seconds(endedAt)} after the cancel`);
  // The cancel reached the SDK: the hanging HTTP request was aborted, not left to its timeout.
  assert.ok(
    request.closedAt !== undefined && request.closedAt - cancelAt < 10_000,
    `the model request was closed ${seconds(request.closedAt)} after the cancel`,
  );
  assert.equal(h.llm.requests.length - index, 1, 'the cancelled call was not retried');
  const history = await handle.fetchHistory();
  assert.ok(
    (history.events ?? []).some((e) => e.activityTaskCancelRequestedEventAttributes),
    'the running callModel was cancelled',
  );
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cancelSignal, pauseSignal, resumeSignal, statusQuery } from '../../lib/episode-messages';
import { episodeWorkflow } from '../../workflows/episode';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client, s3ConnectionFromEnv } from '../../activities/artifacts/s3';
import { SA } from '../../lib/search-attributes';
import { startS3Server } from '../support/s3-server';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

let h: EpisodeHarness;

before(async () => {
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
});

const requestsSince = (start: number) => h.llm.requests.slice(start);

describe('episode loop (local runtime, OpenAI wire format)', () => {
  test('validate continues, submit scores and ends; trajectory and results are MLGym-shaped', async () => {
    const start = h.llm.requests.length;
    h.llm.script(
      { text: reply('cat answer.txt'), usage: { inputTokens: 1000, outputTokens: 100 } },
      { text: reply('validate'), usage: { inputTokens: 1000, outputTokens: 100 } },
      { text: reply('echo 7 > answer.txt'), usage: { inputTokens: 1000, outputTokens: 100 } },
      { text: reply('submit'), usage: { inputTokens: 1000, outputTokens: 100 } },
    );
    const input = h.input({});
    const result = await runEpisode(h, input);
    assert.equal(result.exitStatus, 'submitted');
    assert.equal(result.steps, 4);
    assert.deepEqual(
      result.evaluations.map((e) => [e.kind, e.metrics.Score]),
      [
        ['validate', -4],
        ['submit', 0],
      ],
    );
    assert.deepEqual(result.score, { Score: 0 });
    assert.equal(result.bestScore, 0);
    // gpt-4o is priced from the table: 4 calls x (1000 in, 100 out).
    assert.ok(result.costUsd > 0);
    assert.equal(result.usage.inputTokens, 4000);
    assert.equal(requestsSince(start).length, 4);

    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    assert.equal(traj.trajectory.length, 4);
    for (const step of traj.trajectory)
      for (const field of ['state', 'response', 'thought', 'action', 'execution_time', 'observation']) assert.ok(field in step, field);
    // Recorded as MLGym records them: the action keeps its newline, validate shows MLGym's message.
    assert.equal(traj.trajectory[0].action, 'cat answer.txt\n');
    assert.match(traj.trajectory[0].observation, /^3/);
    assert.match(
      traj.trajectory[1].observation,
      /^Your code produced a valid submission artefact at .*answer\.txt\.\nBaseline Score: \{'Score': -4\.0\}\nEvaluation Score: \{'Score': -4\.0\}$/,
    );
    assert.equal(traj.trajectory[3].observation, 'Exited (submit)');
    assert.equal(traj.info.exit_status, 'submitted');
    assert.equal(traj.info.model_stats.api_calls, 4);
    assert.equal(traj.info.model_stats.tokens_sent, 4000);
    assert.deepEqual(traj.info.score, [{ Score: -4 }, { Score: 0 }]);
    assert.ok(traj.history.length >= 9);
    const results = JSON.parse(readFileSync(result.resultsPath, 'utf8'));
    assert.deepEqual(results.agent, [{ Score: -4 }, { Score: 0 }]);
    assert.deepEqual(results.baseline, { Score: -4 });

    // The model saw the system prompt with the tool docs, then the task.
    const first = requestsSince(start)[0].body as { messages: { role: string; content: string }[] };
    assert.equal(first.messages[0].role, 'system');
    assert.match(first.messages[0].content, /edit <start>:<end>|edit/);
    assert.match(first.messages[0].content, /validate/);
    assert.match(first.messages[1].content, /Write an integer into answer.txt/);
  });

  test('malformed replies are re-asked three times, all billed, the last one unread, then exit_format autosubmits', async () => {
    const start = h.llm.requests.length;
    h.llm.script(
      { text: 'no command here', usage: { inputTokens: 500, outputTokens: 50 } },
      { text: 'DISCUSSION\ntwo\n```\nls\n```\n```\npwd\n```', usage: { inputTokens: 500, outputTokens: 50 } },
      { text: 'still no block', usage: { inputTokens: 500, outputTokens: 50 } },
      // MLGym pays for its third re-query but never reads the reply: this valid one is not run.
      { text: reply('echo 7 > answer.txt'), usage: { inputTokens: 500, outputTokens: 50 } },
    );
    const result = await runEpisode(h, h.input({}));
    assert.equal(result.exitStatus, 'autosubmission (exit_format)');
    assert.equal(requestsSince(start).length, 4);
    assert.equal(result.usage.inputTokens, 2000);
    assert.ok(result.costUsd > 0);
    // Each re-ask shows the last bad reply (only that one) and the format error message.
    const first = requestsSince(start)[0].body as { messages: { role: string; content: string }[] };
    const third = requestsSince(start)[2].body as { messages: { role: string; content: string }[] };
    assert.equal(third.messages.length, first.messages.length + 2);
    assert.equal(third.messages.at(-2)!.content, 'DISCUSSION\ntwo\n```\nls\n```\n```\npwd\n```');
    assert.match(third.messages.at(-1)!.content, /format/i);
    assert.deepEqual(result.score, { Score: -4 });
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    assert.equal(traj.trajectory.length, 1);
    assert.equal(traj.trajectory[0].action, 'exit_format');
    assert.equal(traj.trajectory[0].observation, 'Exited (exit_format)');
    assert.equal(traj.info.model_stats.api_calls, 4);
  });

  test('without re-queries (max_format_retries 0) the first malformed reply ends the episode', async () => {
    const start = h.llm.requests.length;
    h.llm.script('no command here');
    const result = await runEpisode(h, h.input({ limits: { max_format_retries: 0 } }));
    assert.equal(result.exitStatus, 'autosubmission (exit_format)');
    assert.equal(requestsSince(start).length, 1);
    assert.deepEqual(result.score, { Score: -4 });
  });

  test('a reply without DISCUSSION, and a malformed edit, each use a step as in MLGym', async () => {
    h.llm.script('```\necho 6 > answer.txt\n```', reply('edit 1:1\n9'), reply('submit'));
    const result = await runEpisode(h, h.input({}));
    assert.equal(result.exitStatus, 'submitted');
    assert.equal(result.steps, 3);
    assert.deepEqual(result.score, { Score: -1 });
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    assert.match(traj.trajectory[1].observation, /^Malformed edit command/);
  });

  test('one bad reply then a good one continues the step', async () => {
    h.llm.script('oops', reply('submit'));
    const result = await runEpisode(h, h.input({}));
    assert.equal(result.exitStatus, 'submitted');
    assert.equal(result.steps, 1);
  });

  test('the step limit autosubmits the current artefact', async () => {
    const start = h.llm.requests.length;
    // MLGym asks once more after the last step; that reply is recorded and billed but not run.
    h.llm.script(reply('echo 5 > answer.txt'), reply('ls'), reply('echo 7 > answer.txt'));
    const result = await runEpisode(h, h.input({ limits: { max_steps: 2 } }));
    assert.equal(result.exitStatus, 'autosubmission (max_steps)');
    assert.deepEqual(result.score, { Score: -2 });
    assert.equal(requestsSince(start).length, 3);
    assert.equal(result.steps, 3);
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    assert.deepEqual(
      traj.trajectory.map((s: { action: string }) => s.action),
      ['echo 5 > answer.txt\n', 'ls\n', 'echo 7 > answer.txt\n'],
    );
    assert.equal(traj.trajectory[2].observation, 'Exited (max_steps)');
  });

  test('the cost limit ends the episode without running the call that crossed it', async () => {
    h.llm.script(
      { text: reply('echo 6 > answer.txt'), usage: { inputTokens: 100_000, outputTokens: 1000 } },
      { text: reply('echo 7 > answer.txt'), usage: { inputTokens: 100_000, outputTokens: 1000 } },
    );
    const result = await runEpisode(h, h.input({ limits: { cost_limit_usd: 0.3 } }));
    assert.equal(result.exitStatus, 'autosubmission (exit_cost)');
    assert.deepEqual(result.score, { Score: -1 }, 'the second action (echo 7) must not have run');
    assert.ok(result.costUsd > 0.3);
  });

  test('a context-length error from the provider ends the episode as exit_context', async () => {
    h.llm.script(reply('echo 7 > answer.txt'), { fault: 'context_length' });
    const result = await runEpisode(h, h.input({}));
    assert.equal(result.exitStatus, 'autosubmission (exit_context)');
    assert.deepEqual(result.score, { Score: 0 });
  });

  test('a prompt larger than the context window ends the episode before calling the provider', async () => {
    const start = h.llm.requests.length;
    h.llm.script(reply('python3 -c "print(\'x\' * 20000)"'));
    const result = await runEpisode(h, h.input({ modelParams: { context_window: 3000 } }));
    assert.equal(result.exitStatus, 'autosubmission (exit_context)');
    assert.equal(requestsSince(start).length, 1);
  });

  test('submit without an artefact is submission_not_found; a crashing evaluator is evaluation_format_error', async () => {
    h.llm.script(reply('rm answer.txt'), reply('submit'));
    const missing = await runEpisode(h, h.input({}));
    assert.equal(missing.exitStatus, 'submission_not_found (submit)');
    h.llm.script(reply('echo seven > answer.txt'), reply('validate'), reply('submit'));
    const broken = await runEpisode(h, h.input({}));
    assert.equal(broken.exitStatus, 'evaluation_format_error (submit)');
    const traj = JSON.parse(readFileSync(broken.trajectoryPath, 'utf8'));
    assert.match(traj.trajectory[1].observation, /Evaluation failed: the evaluator exited with code 1/);
    assert.match(traj.trajectory[1].observation, /ValueError/);
  });

  test('long output is cut for the model and kept whole as an artifact', async () => {
    h.llm.script(reply('seq 1 20000'), reply('submit'));
    const result = await runEpisode(h, h.input({ limits: { observation_chars: 2000 } }));
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    const observation: string = traj.trajectory[0].observation;
    assert.ok(observation.length < 2600, `observation has ${observation.length} chars`);
    assert.match(observation, /^1\n2\n/);
    assert.match(observation, /20000\s*$|20000\n\[/);
    assert.match(observation, /cut from the middle/);
    const full = readFileSync(traj.trajectory[0].full_output, 'utf8');
    assert.equal(full.trim().split('\n').length, 20000);
  });

  test('commands time out (short by default; the training timeout for python commands and long_run), killing the process tree', async () => {
    h.llm.script(
      reply('sleep 30 & sleep 30; echo never'),
      reply('long_run sleep 12 && echo finished-long'),
      reply('python3 -c "import time; time.sleep(12); print(\'trained\')"'),
      reply('submit'),
    );
    const result = await runEpisode(h, h.input({}));
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    assert.match(traj.trajectory[0].observation, /EXECUTION TIMED OUT BECAUSE THE COMMAND WAS RUNNING FOR MORE THAN 10 SECONDS\.$/);
    assert.doesNotMatch(traj.trajectory[0].observation, /never/);
    assert.match(traj.trajectory[1].observation, /finished-long/);
    assert.equal(traj.trajectory[2].observation, 'trained');
    assert.ok(traj.trajectory[0].execution_time < 20);
  });

  test('429 with Retry-After is retried by Temporal after the advertised delay', async () => {
    const start = h.llm.requests.length;
    h.llm.script({ fault: 'status', status: 429, retryAfter: '3' }, { fault: 'status', status: 500 }, reply('submit'));
    const result = await runEpisode(h, h.input({}));
    assert.equal(result.exitStatus, 'submitted');
    const calls = requestsSince(start);
    assert.equal(calls.length, 3);
    assert.ok(calls[1].at - calls[0].at >= 2900, `retried after ${calls[1].at - calls[0].at} ms`);
  });

  test('a 401 is not retried: the episode blocks with the reason until resumed; the key is nowhere in history', async () => {
    const start = h.llm.requests.length;
    h.llm.script({ fault: 'status', status: 401 }, reply('submit'));
    const input = h.input({});
    const handle = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
    const blocked = await waitFor(
      () => handle.query(statusQuery),
      (s) => s.phase === 'blocked',
    );
    assert.match(blocked.blockedReason ?? '', /401/);
    assert.match(blocked.blockedReason ?? '', /OPENAI_API_KEY/);
    assert.ok(!(blocked.blockedReason ?? '').includes(FAKE_OPENAI_KEY));
    await sleep(3000);
    assert.equal(requestsSince(start).length, 1, 'a 401 is not retried');
    const sa = (await handle.describe()).typedSearchAttributes;
    assert.equal(sa.get(SA.status), 'blocked');
    assert.match(sa.get(SA.blockedReason) ?? '', /401/);
    await handle.signal(resumeSignal);
    const result = await handle.result();
    assert.equal(result.exitStatus, 'submitted');
    assert.equal(requestsSince(start).length, 2);
    const history = JSON.stringify(await handle.fetchHistory());
    assert.ok(!history.includes(FAKE_OPENAI_KEY));
  });
});

describe('episode with the Anthropic wire format', () => {
  test('an episode runs through the real Anthropic client; the key never enters history', async () => {
    const start = h.llm.requests.length;
    h.llm.script(reply('echo 8 > answer.txt'), reply('validate'), reply('submit'));
    const input = h.input({ model: 'anthropic:claude-sonnet-4-5' });
    const result = await runEpisode(h, input);
    assert.equal(result.exitStatus, 'submitted');
    assert.deepEqual(result.score, { Score: -1 });
    const calls = requestsSince(start);
    assert.ok(calls.every((c) => c.provider === 'anthropic'));
    const body = calls[0].body as { system?: unknown; messages: unknown[] };
    assert.ok(body.system, 'the system prompt goes in the system parameter');
    const history = JSON.stringify(await h.env.client.workflow.getHandle(input.episodeId).fetchHistory());
    assert.ok(!history.includes(FAKE_ANTHROPIC_KEY) && !history.includes(FAKE_OPENAI_KEY));
    // The history carries previews and keys, not the conversation: the system prompt is not in it.
    const systemPrompt = (calls[0].body as { system: string | { text: string }[] }).system;
    const systemText = typeof systemPrompt === 'string' ? systemPrompt : systemPrompt.map((b) => b.text).join('');
    assert.match(systemText, /^SETTING: You are an autonomous machine learning researcher/);
    assert.ok(!history.includes('SETTING: You are an autonomous machine learning researcher'));
  });
});

describe('status, pause, resume, cancel, search attributes', () => {
  test('status query, pause/resume between steps, graceful cancel of a running command', async () => {
    const start = h.llm.requests.length;
    h.llm.script(reply('echo 6 > answer.txt'), reply('long_run sleep 60'));
    const input = h.input({});
    const handle = await h.env.client.workflow.start(episodeWorkflow, { workflowId: input.episodeId, taskQueue: h.taskQueue, args: [input] });
    await handle.signal(pauseSignal);
    let status = await waitFor(
      () => handle.query(statusQuery),
      (s) => s.paused,
    );
    const pausedAt = status.step;
    await sleep(1500);
    status = await handle.query(statusQuery);
    assert.equal(status.step, pausedAt, 'no step runs while paused');
    assert.equal(status.phase === 'paused' || status.phase === 'starting', true);
    await handle.signal(resumeSignal);
    status = await waitFor(
      () => handle.query(statusQuery),
      (s) => s.step >= 2 && s.lastAction === 'long_run sleep 60',
    );
    assert.equal(status.maxSteps, 50);
    assert.equal(status.sandbox?.runtime, 'local');
    await handle.signal(cancelSignal, 'test cancel');
    const result = await handle.result();
    assert.equal(result.exitStatus, 'autosubmission (exit_cancel)');
    assert.deepEqual(result.score, { Score: -1 });
    assert.equal(requestsSince(start).length, 2, 'no model call after the cancel');
    assert.ok(status.sandbox && !existsSync(status.sandbox.workspace), 'the sandbox was torn down after the autosubmission');

    const description = await handle.describe();
    const sa = description.typedSearchAttributes;
    assert.equal(sa.get(SA.task), 'guess');
    assert.equal(sa.get(SA.model), 'openai:gpt-4o');
    assert.equal(sa.get(SA.status), 'autosubmission (exit_cancel)');
    assert.equal(sa.get(SA.step), 2);
    assert.equal(sa.get(SA.bestScore), -1);
    assert.equal(typeof sa.get(SA.cost), 'number');

    // Activities carry readable summaries in the UI.
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => Buffer.from((e.userMetadata?.summary?.data as Uint8Array) ?? []).toString('utf8'));
    assert.ok(
      summaries.some((s) => s.includes('model: openai:gpt-4o step 1')),
      summaries.join(' | '),
    );
    assert.ok(
      summaries.some((s) => s.includes('exec: long_run sleep 60') || s.includes('exec: sleep 60')),
      summaries.join(' | '),
    );
  });
});

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

describe('artifacts in S3', () => {
  test('an episode keeps its transcript, outputs, trajectory and results in an S3-compatible store', async () => {
    const server = await startS3Server();
    const saved = { ...process.env };
    try {
      const bucket = `mlgym-episode-${Date.now()}`;
      Object.assign(process.env, { AWS_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });
      const client = s3Client(s3ConnectionFromEnv());
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      process.env.MLGYM_ARTIFACTS = `s3://${bucket}/runs`;
      h.llm.script(reply('echo 7 > answer.txt'), reply('submit'));
      const input = h.input({});
      const result = await runEpisode(h, input);
      assert.equal(result.exitStatus, 'submitted');
      assert.equal(result.trajectoryPath, `s3://${bucket}/runs/episodes/${input.episodeId}/${input.episodeId}.traj`);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `runs/episodes/${input.episodeId}/` }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!.replace(`runs/episodes/${input.episodeId}/`, ''));
      for (const expected of [
        'transcript/000000.json',
        'transcript/000002.json',
        'steps/000001/output.txt',
        'steps/000001/model.json',
        'results.json',
        `${input.episodeId}.traj`,
      ]) {
        assert.ok(keys.includes(expected), `${expected} missing from ${keys.join(', ')}`);
      }
      const traj = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `runs/episodes/${input.episodeId}/${input.episodeId}.traj` }));
      const parsed = JSON.parse(await traj.Body!.transformToString());
      assert.equal(parsed.info.exit_status, 'submitted');
    } finally {
      process.env = saved;
      await server.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { ModelSpecError, parseModelSpec, type ModelSpec } from '../../lib/model-spec';
import { costOf, estimateTokens, PricingError, resolvePricing } from '../../lib/pricing';
import { FailureType } from '../../lib/failures';
import type { CompletionRequest } from '../../activities/model/provider';
import { checkProviderReady, createProvider } from '../../activities/model/providers';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server';

const KEY = 'sk-test-SECRET-0123456789abcdef';

function request(model: string, overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are an ML researcher.' },
      { role: 'user', content: 'Improve the baseline.' },
    ],
    temperature: 0,
    topP: 0.95,
    maxOutputTokens: 256,
    callIndex: 0,
    step: 1,
    attempt: 0,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

const wires = [
  { provider: 'openai', model: 'gpt-4o', keyEnv: 'OPENAI_API_KEY', baseEnv: 'OPENAI_BASE_URL', path: '/v1/chat/completions' },
  { provider: 'anthropic', model: 'claude-haiku-4-5', keyEnv: 'ANTHROPIC_API_KEY', baseEnv: 'ANTHROPIC_BASE_URL', path: '/v1/messages' },
] as const;

describe('HTTP providers through the real SDKs against the fake server', () => {
  let server: FakeLlmServer;
  before(async () => {
    server = await startFakeLlmServer();
  });
  after(async () => {
    await server.close();
  });

  for (const wire of wires) {
    const spec: ModelSpec = { provider: wire.provider, model: wire.model };
    const env = (extra: Record<string, string> = {}) => ({
      [wire.keyEnv]: KEY,
      [wire.baseEnv]: wire.provider === 'openai' ? server.openaiBaseUrl : server.anthropicBaseUrl,
      MLGYM_MODEL_TIMEOUT_MS: '5000',
      ...extra,
    });
    const call = (extra?: Record<string, string>, req = request(wire.model)) => createProvider(spec, env(extra)).complete(req);

    describe(wire.provider, () => {
      void it('returns the reply text and the usage the server reported', async () => {
        server.script({ text: 'DISCUSSION\nLook around.\n```\nls\n```', usage: { inputTokens: 123, outputTokens: 45 } });
        const completion = await call();
        assert.equal(completion.text, 'DISCUSSION\nLook around.\n```\nls\n```');
        assert.deepEqual(completion.usage, { inputTokens: 123, outputTokens: 45 });
        const sent = server.requests.at(-1);
        assert.equal(sent?.path, wire.path);
        assert.equal((sent?.body as { model: string }).model, wire.model);
      });

      void it('maps 429 to a retryable ProviderUnavailable that waits as long as Retry-After says, without SDK retries', async () => {
        const before = server.requests.length;
        server.script({ fault: 'status', status: 429, retryAfter: '7' });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderUnavailable);
        assert.ok(!failure.nonRetryable);
        assert.equal(failure.nextRetryDelay, 7000);
        assert.equal(server.requests.length - before, 1, 'the SDK must not retry by itself');
      });

      void it('prefers retry-after-ms when the server sends it', async () => {
        server.script({ fault: 'status', status: 429, retryAfter: '7', retryAfterMs: '1500' });
        const failure = await failureOf(call());
        assert.equal(failure.nextRetryDelay, 1500);
      });

      void it('maps 500 to a retryable ProviderUnavailable with the policy delay', async () => {
        server.script({ fault: 'status', status: 500 });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderUnavailable);
        assert.ok(!failure.nonRetryable);
        assert.equal(failure.nextRetryDelay, undefined);
        assert.match(failure.message, /HTTP 500/);
      });

      void it('gives up on a hanging server after MLGYM_MODEL_TIMEOUT_MS, retryably', async () => {
        server.script({ fault: 'hang' });
        const started = Date.now();
        const failure = await failureOf(call({ MLGYM_MODEL_TIMEOUT_MS: '300' }));
        assert.equal(failure.type, FailureType.ProviderUnavailable);
        assert.ok(!failure.nonRetryable);
        assert.match(failure.message, /timeout/);
        assert.ok(Date.now() - started < 4000, 'the request timeout must apply');
      });

      void it("aborts a hanging request at once when the call's signal fires, with the SDK's abort error (not a provider failure)", async () => {
        server.script({ fault: 'hang' });
        const before = server.requests.length;
        const controller = new AbortController();
        const pending = call({ MLGYM_MODEL_TIMEOUT_MS: '60000' }, request(wire.model, { signal: controller.signal })).then(
          () => assert.fail('an aborted call must not complete'),
          (err: unknown) => err,
        );
        while (server.requests.length === before) await sleep(10);
        const sent = server.requests.at(-1)!;
        const aborted = Date.now();
        controller.abort();
        const err = await pending;
        assert.ok(Date.now() - aborted < 1000, 'the abort must not wait for the request timeout');
        // Not mapped to ProviderUnavailable: the activity reports it as its cancellation.
        assert.ok(!(err instanceof ApplicationFailure), `expected the SDK's abort error, got ${String(err)}`);
        assert.equal((err as Error).constructor.name, 'APIUserAbortError');
        while (sent.closedAt === undefined && Date.now() - aborted < 2000) await sleep(10);
        assert.ok(sent.closedAt !== undefined, 'the server saw the connection closed');
      });

      void it('maps a broken JSON body to a retryable ProviderMalformedReply', async () => {
        server.script({ fault: 'malformed' });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderMalformedReply);
        assert.ok(!failure.nonRetryable);
      });

      void it('maps valid JSON of the wrong shape to ProviderMalformedReply naming the missing field', async () => {
        server.script({ fault: 'status', status: 200, body: { id: 'x', usage: {} } });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderMalformedReply);
        assert.match(failure.message, wire.provider === 'openai' ? /choices/ : /content/);
      });

      void it("maps the provider's context-length error to a non-retryable ContextWindowExceeded", async () => {
        server.script({ fault: 'context_length' });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ContextWindowExceeded);
        assert.equal(failure.nonRetryable, true);
      });

      void it('maps 401 to a non-retryable ProviderRejected that names the key variable but never the key', async () => {
        server.script({ fault: 'status', status: 401 });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderRejected);
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, new RegExp(`${wire.provider}:${wire.model}`));
        assert.match(failure.message, /HTTP 401/);
        assert.match(failure.message, new RegExp(wire.keyEnv));
        assert.match(failure.message, /Incorrect API key/, "the server's own message is kept");
        assert.ok(!failure.message.includes(KEY));
        assert.ok(!JSON.stringify(failure.details).includes(KEY));
        assert.ok(!JSON.stringify(failure.details).includes('SECRET'));
      });

      void it('maps another 4xx to a non-retryable ProviderRejected', async () => {
        server.script({ fault: 'status', status: 404 });
        const failure = await failureOf(call());
        assert.equal(failure.type, FailureType.ProviderRejected);
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, /model name/);
      });

      void it('fails early with MissingApiKey naming the variable', async () => {
        const noKey = { [wire.baseEnv]: server.url, [wire.keyEnv]: '  ' };
        const failure = await failureOf(checkProviderReady(spec, noKey));
        assert.equal(failure.type, FailureType.MissingApiKey);
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, new RegExp(wire.keyEnv));
        assert.throws(
          () => createProvider(spec, noKey),
          (err) => err instanceof ApplicationFailure,
        );
      });
    });
  }

  void it('sends OpenAI chat parameters, and max_completion_tokens without sampling knobs to reasoning models', async () => {
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseUrl };
    server.script('a', 'b');
    await createProvider({ provider: 'openai', model: 'gpt-4o' }, env).complete(request('gpt-4o'));
    const chat = server.requests.at(-1);
    assert.equal(chat?.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(chat?.body, {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are an ML researcher.' },
        { role: 'user', content: 'Improve the baseline.' },
      ],
      max_tokens: 256,
      temperature: 0,
      top_p: 0.95,
    });
    await createProvider({ provider: 'openai', model: 'o3' }, env).complete(request('o3'));
    const reasoning = server.requests.at(-1)?.body as Record<string, unknown>;
    assert.equal(reasoning.max_completion_tokens, 256);
    assert.ok(!('temperature' in reasoning) && !('top_p' in reasoning) && !('max_tokens' in reasoning));
  });

  void it('sends Anthropic system prompts as `system`, merges same-role turns and uses one sampling knob', async () => {
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseUrl };
    const provider = createProvider({ provider: 'anthropic', model: 'claude-haiku-4-5' }, env);
    server.script('a', 'b');
    await provider.complete(
      request('claude-haiku-4-5', {
        messages: [
          { role: 'system', content: 'S1' },
          { role: 'user', content: 'U1' },
          { role: 'user', content: 'U2' },
          { role: 'assistant', content: 'A1' },
          { role: 'system', content: 'S2' },
          { role: 'user', content: 'U3' },
        ],
      }),
    );
    const sent = server.requests.at(-1);
    assert.ok([sent?.headers['x-api-key'], sent?.headers.authorization].some((h) => String(h).includes(KEY)));
    assert.deepEqual(sent?.body, {
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      system: 'S1\n\nS2',
      messages: [
        { role: 'user', content: 'U1\n\nU2' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'U3' },
      ],
      temperature: 0,
    });
    await provider.complete(request('claude-haiku-4-5', { temperature: 1, topP: 0.9 }));
    const nucleus = server.requests.at(-1)?.body as Record<string, unknown>;
    assert.equal(nucleus.top_p, 0.9);
    assert.ok(!('temperature' in nucleus));
  });

  void it('drops sampling parameters for an Anthropic model that refuses them, and remembers it', async () => {
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseUrl };
    const provider = createProvider({ provider: 'anthropic', model: 'claude-opus-4-8' }, env);
    const refusal = { type: 'error', error: { type: 'invalid_request_error', message: '`temperature` is deprecated for this model.' } };
    const before = server.requests.length;
    server.script({ fault: 'status', status: 400, body: refusal }, 'unsampled', 'again');
    assert.equal((await provider.complete(request('claude-opus-4-8'))).text, 'unsampled');
    assert.equal((await provider.complete(request('claude-opus-4-8'))).text, 'again');
    const bodies = server.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    assert.deepEqual(
      bodies.map((b) => 'temperature' in b),
      [true, false, false],
    );
  });

  void it('joins the text blocks of an Anthropic reply and skips other block kinds', async () => {
    server.script({
      fault: 'status',
      status: 200,
      body: {
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'x' },
          { type: 'text', text: 'first ' },
          { type: 'text', text: 'second' },
        ],
        usage: { input_tokens: 5, output_tokens: 6 },
      },
    });
    const env = { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseUrl };
    const completion = await createProvider({ provider: 'anthropic', model: 'claude-opus-4-1' }, env).complete(request('claude-opus-4-1'));
    assert.equal(completion.text, 'first second');
    assert.deepEqual(completion.usage, { inputTokens: 5, outputTokens: 6 });
  });

  void it('answers from the responder once the script is used up, and 500s when neither is set', async () => {
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseUrl };
    const provider = createProvider({ provider: 'openai', model: 'gpt-4o' }, env);
    server.setResponder((req) => `echo ${(req.body as { messages: unknown[] }).messages.length}`);
    assert.equal((await provider.complete(request('gpt-4o'))).text, 'echo 2');
    server.setResponder(undefined);
    const failure = await failureOf(provider.complete(request('gpt-4o')));
    assert.match(failure.message, /script exhausted/);
  });

  void it('rejects an unusable MLGYM_MODEL_TIMEOUT_MS clearly', () => {
    assert.throws(
      () => createProvider({ provider: 'openai', model: 'gpt-4o' }, { OPENAI_API_KEY: KEY, MLGYM_MODEL_TIMEOUT_MS: '10s' }),
      (err) =>
        err instanceof ApplicationFailure &&
        err.type === FailureType.ModelConfigInvalid &&
        err.nonRetryable === true &&
        /MLGYM_MODEL_TIMEOUT_MS="10s"/.test(err.message),
    );
  });

  void it('treats an unreachable server as retryable ProviderUnavailable', async () => {
    const closed = await startFakeLlmServer();
    await closed.close();
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: closed.openaiBaseUrl };
    const failure = await failureOf(createProvider({ provider: 'openai', model: 'gpt-4o' }, env).complete(request('gpt-4o')));
    assert.equal(failure.type, FailureType.ProviderUnavailable);
    assert.ok(!failure.nonRetryable);
    assert.match(failure.message, /cannot reach openai:gpt-4o/);
  });
});

describe('replay provider', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlgym-replay-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const replay = (file: string, at: Partial<Pick<CompletionRequest, 'callIndex' | 'step' | 'attempt'>>) =>
    createProvider({ provider: 'replay', model: file }, {}).complete(request(file, at));

  /** An MLGym `.traj` as MLGym writes it: one entry per step, the step's last reply as `response`. */
  async function writeTrajectory(name: string, steps: { action: string; response: string }[]): Promise<string> {
    const file = path.join(dir, name);
    const trajectory = steps.map((s) => ({ ...s, observation: '', thought: '', state: '{}', execution_time: 0 }));
    await writeFile(file, JSON.stringify({ environment: 'mlgym_main', trajectory, history: [], info: {} }));
    return file;
  }

  void it('answers an MLGym .traj by step, not by call, with estimated usage', async () => {
    const file = await writeTrajectory('run.traj', [
      { action: 'ls', response: 'DISCUSSION\nlist\n```\nls\n```' },
      { action: 'submit', response: 'DISCUSSION\ndone\n```\nsubmit\n```' },
    ]);
    // Step 2 after a step with re-asks: the call index (4) no longer lines up with the step.
    const second = await replay(file, { step: 2, attempt: 0, callIndex: 4 });
    assert.equal(second.text, 'DISCUSSION\ndone\n```\nsubmit\n```');
    assert.equal(second.usage.outputTokens, Math.ceil(second.text.length / 4));
    assert.equal(second.usage.inputTokens, estimateTokens(request(file).messages));
    assert.equal((await replay(file, { step: 1, callIndex: 7 })).text, 'DISCUSSION\nlist\n```\nls\n```');
  });

  void it("gives every attempt of a step the step's recorded reply, so an exit_format step stays malformed", async () => {
    // MLGym keeps only the last reply of a step; a step recorded as exit_format had only malformed ones.
    const file = await writeTrajectory('format.traj', [
      { action: 'ls', response: 'DISCUSSION\nlist\n```\nls\n```' },
      { action: 'exit_format', response: 'no command here' },
    ]);
    const attempts = await Promise.all([0, 1, 2, 3].map((attempt) => replay(file, { step: 2, attempt, callIndex: 1 + attempt })));
    assert.deepEqual(
      attempts.map((c) => c.text),
      ['no command here', 'no command here', 'no command here', 'no command here'],
    );
  });

  void it("fails a recorded exit_context step as a provider's context-length error, and exit_cost as a non-retryable CostLimitExceeded", async () => {
    const file = await writeTrajectory('limits.traj', [
      { action: 'ls', response: 'DISCUSSION\nlist\n```\nls\n```' },
      { action: 'exit_context', response: 'Exit due to context window' },
      { action: 'exit_cost', response: 'Exit due to cost limit' },
    ]);
    const context = await failureOf(replay(file, { step: 2 }));
    assert.equal(context.type, FailureType.ContextWindowExceeded);
    assert.equal(context.nonRetryable, true);
    assert.match(context.message, /step 2/);
    const cost = await failureOf(replay(file, { step: 3, attempt: 1 }));
    assert.equal(cost.type, FailureType.CostLimitExceeded);
    assert.equal(cost.nonRetryable, true);
    assert.match(cost.message, /cost limit exceeded.*step 3/);
  });

  void it('answers a YAML list of replies by call index, re-asks included, and re-reads the file when it changes', async () => {
    const file = path.join(dir, 'script.yaml');
    await writeFile(file, 'replies:\n  - first\n  - |\n    second\n    line\n');
    assert.equal((await replay(file, { callIndex: 1, step: 1, attempt: 1 })).text, 'second\nline\n');
    await writeFile(file, 'replies: [changed]\n');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    assert.equal((await replay(file, { callIndex: 0 })).text, 'changed');
  });

  void it('fails with a non-retryable ReplayExhausted past the last reply or step', async () => {
    const file = path.join(dir, 'short.json');
    await writeFile(file, JSON.stringify({ replies: ['only'] }));
    const failure = await failureOf(replay(file, { callIndex: 1, step: 2 }));
    assert.equal(failure.type, FailureType.ReplayExhausted);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /1 recorded replies; call 2 is past the end/);

    const traj = await writeTrajectory('one-step.traj', [{ action: 'ls', response: 'DISCUSSION\nlist\n```\nls\n```' }]);
    const pastSteps = await failureOf(replay(traj, { step: 2, callIndex: 0 }));
    assert.equal(pastSteps.type, FailureType.ReplayExhausted);
    assert.match(pastSteps.message, /1 recorded steps; step 2 is past the end/);
  });

  void it('fails with a non-retryable ReplayUnreadable naming the path and the problem', async () => {
    const missing = path.join(dir, 'missing.traj');
    const notFound = await failureOf(checkProviderReady({ provider: 'replay', model: missing }));
    assert.equal(notFound.type, FailureType.ReplayUnreadable);
    assert.equal(notFound.nonRetryable, true);
    assert.ok(notFound.message.includes(missing) && /no such file/.test(notFound.message));

    const broken = path.join(dir, 'broken.traj');
    await writeFile(broken, '{"trajectory": [');
    assert.match((await failureOf(replay(broken, {}))).message, /neither JSON nor YAML/);

    const wrong = path.join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ trajectory: [{ action: 'ls' }] }));
    assert.match((await failureOf(replay(wrong, {}))).message, /trajectory\.0\.response/);

    const other = path.join(dir, 'other.yaml');
    await writeFile(other, 'steps: []\n');
    assert.match((await failureOf(replay(other, {}))).message, /expected an MLGym trajectory/);
  });
});

describe('model specs', () => {
  void it('splits on the first colon only', () => {
    assert.deepEqual(parseModelSpec('openai:gpt-4o'), { provider: 'openai', model: 'gpt-4o' });
    assert.deepEqual(parseModelSpec('openai:llama3:8b'), { provider: 'openai', model: 'llama3:8b' });
    assert.deepEqual(parseModelSpec('replay:C:/runs/a.traj'), { provider: 'replay', model: 'C:/runs/a.traj' });
  });

  void it('names the bad value and the valid forms', () => {
    assert.throws(() => parseModelSpec('foo:bar'), {
      name: 'ModelSpecError',
      message: 'unknown model provider "foo" in "foo:bar"; use openai:<model>, anthropic:<model> or replay:<trajectory file>',
    });
    assert.throws(
      () => parseModelSpec('gpt-4o'),
      (err) => err instanceof ModelSpecError && /"gpt-4o" names no provider/.test(err.message),
    );
    assert.throws(
      () => parseModelSpec('anthropic:'),
      (err) => err instanceof ModelSpecError && /names no model/.test(err.message),
    );
  });
});

describe('pricing', () => {
  const none = {};
  const openai = (model: string): ModelSpec => ({ provider: 'openai', model });

  void it('prices known models from the table', () => {
    assert.deepEqual(resolvePricing(openai('gpt-4o'), none, 4), { inputPerMTok: 2.5, outputPerMTok: 10, contextWindow: 128_000 });
    const sonnet = resolvePricing({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, none, 4);
    assert.deepEqual(sonnet, { inputPerMTok: 3, outputPerMTok: 15, contextWindow: 200_000 });
  });

  void it('resolves dated snapshots by the longest known name, exact names first', () => {
    assert.equal(resolvePricing(openai('gpt-4o-mini-2024-07-18'), none, 4).inputPerMTok, 0.15);
    assert.equal(resolvePricing(openai('gpt-4o-2024-08-06'), none, 4).inputPerMTok, 2.5);
    assert.equal(resolvePricing(openai('gpt-4o-2024-05-13'), none, 4).inputPerMTok, 5);
    assert.equal(resolvePricing({ provider: 'anthropic', model: 'claude-3-5-haiku-20241022' }, none, 4).outputPerMTok, 4);
    assert.equal(resolvePricing({ provider: 'anthropic', model: 'claude-3-5-sonnet-latest' }, none, 4).outputPerMTok, 15);
  });

  void it('does not price a different model that merely shares a prefix', () => {
    assert.throws(() => resolvePricing(openai('o3-pro'), none, 4), PricingError);
  });

  void it('lets explicit prices and context windows override the table', () => {
    const pricing = resolvePricing(openai('gpt-4o'), { input_price_per_mtok: 1, context_window: 8192 }, 4);
    assert.deepEqual(pricing, { inputPerMTok: 1, outputPerMTok: 10, contextWindow: 8192 });
    const custom = resolvePricing(openai('my-vllm-model'), { input_price_per_mtok: 0.5, output_price_per_mtok: 1.5 }, 4);
    assert.deepEqual(custom, { inputPerMTok: 0.5, outputPerMTok: 1.5, contextWindow: 128_000 });
  });

  void it('refuses an unknown price under a cost limit, and allows it at cost limit 0', () => {
    assert.throws(() => resolvePricing(openai('foo'), none, 4), {
      name: 'PricingError',
      message: 'no price known for openai:foo; pass --input-price/--output-price or --cost-limit 0',
    });
    assert.throws(() => resolvePricing(openai('foo'), { input_price_per_mtok: 1 }, 4), PricingError);
    assert.deepEqual(resolvePricing(openai('foo'), none, 0), { inputPerMTok: 0, outputPerMTok: 0, contextWindow: 128_000 });
  });

  void it('makes replay free with a large window unless overridden', () => {
    const replay: ModelSpec = { provider: 'replay', model: '/x.traj' };
    const free = resolvePricing(replay, none, 4);
    assert.equal(free.inputPerMTok + free.outputPerMTok, 0);
    assert.ok(free.contextWindow >= 1_000_000);
    assert.equal(resolvePricing(replay, { context_window: 1000 }, 4).contextWindow, 1000);
  });

  void it('computes cost in USD and estimates tokens at ~4 characters plus per-message overhead', () => {
    const cost = costOf({ inputTokens: 1_000_000, outputTokens: 500_000 }, { inputPerMTok: 2.5, outputPerMTok: 10, contextWindow: 1 });
    assert.equal(cost, 7.5);
    assert.equal(estimateTokens([{ content: 'abcde' }, { content: '' }]), 2 + 4 + 0 + 4);
  });
});

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { episodeKeys } from '../lib/artifact-keys';
import type { ModelParams, Usage } from '../lib/episode';
import { processHistory } from '../lib/history';
import { parseModelSpec } from '../lib/model-spec';
import { costOf, estimateTokens, resolvePricing } from '../lib/pricing';
import { formatErrorMessage, parseReply } from '../lib/reply-parser';
import { parseAgentCommand } from '../lib/agent-commands';
import { preview } from '../lib/truncate';
import { artifacts } from './context';
import type { ChatMessage } from './model/provider';
import { createProvider } from './model/providers';
import { readTranscript, writeMessage } from './transcript';
import type { CallRecord } from './finish';

const HEARTBEAT_MS = 5_000;

export interface CallModelInput {
  episodeId: string;
  model: string;
  modelParams: ModelParams;
  costLimitUsd: number;
  step: number;
  /** 0 for the first ask of a step, then one more for each re-ask after a malformed reply. */
  attempt: number;
  callIndex: number;
  transcriptLength: number;
  historyObservations: number;
  /** Malformed replies of this step so far, shown back to the model with what was wrong. */
  formatErrors: { replyKey: string; error: string }[];
}

interface Billing {
  usage: Usage;
  costUsd: number;
}

export type CallModelResult =
  | (Billing & { kind: 'action'; action: string; thoughtPreview: string })
  | (Billing & { kind: 'format_error'; error: string; replyKey: string })
  | (Billing & { kind: 'context_exceeded'; detail: string });

/**
 * One model call: builds the prompt from the stored transcript through the history processor,
 * calls the provider, stores the raw reply, and parses it. A well-formed reply is appended to the
 * transcript at `transcriptLength`; the workflow gets the action and a preview, never the prompt.
 */
export async function callModel(input: CallModelInput): Promise<CallModelResult> {
  const store = artifacts();
  const keys = episodeKeys(input.episodeId);
  const spec = parseModelSpec(input.model);
  const pricing = resolvePricing(spec, input.modelParams, input.costLimitUsd);

  const transcript = await readTranscript(store, input.episodeId, input.transcriptLength);
  const messages: ChatMessage[] = processHistory(transcript, input.historyObservations).map(({ role, content }) => ({ role, content }));
  for (const failed of input.formatErrors) {
    messages.push({ role: 'assistant', content: (await store.get(failed.replyKey)).toString('utf8') });
    messages.push({ role: 'user', content: formatErrorMessage(failed.error) });
  }

  const noBill: Billing = { usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0 };
  const promptTokens = estimateTokens(messages);
  if (promptTokens > pricing.contextWindow) {
    return { ...noBill, kind: 'context_exceeded', detail: `prompt of ~${promptTokens} tokens exceeds the ${pricing.contextWindow}-token window` };
  }

  let completion;
  // Heartbeats let Temporal notice a dead worker within the heartbeat timeout instead of the
  // call's whole start-to-close timeout.
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat({ waitingFor: input.model, step: input.step }), HEARTBEAT_MS);
  try {
    completion = await createProvider(spec).complete({
      model: spec.model,
      messages,
      temperature: input.modelParams.temperature,
      topP: input.modelParams.top_p,
      maxOutputTokens: input.modelParams.max_output_tokens,
      callIndex: input.callIndex,
    });
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'ContextWindowExceeded') {
      return { ...noBill, kind: 'context_exceeded', detail: err.message };
    }
    throw err;
  } finally {
    clearInterval(beat);
  }
  const billing: Billing = { usage: completion.usage, costUsd: costOf(completion.usage, pricing) };
  const replyKey = keys.reply(input.step, input.attempt);
  await store.put(replyKey, completion.text);

  const parsed = parseReply(completion.text);
  const command = parsed.ok ? parseAgentCommand(parsed.action) : undefined;
  const wellFormed = parsed.ok && command?.kind !== 'invalid';
  // Every answered call's billing, malformed ones included: a resumed episode sums these up.
  const callRecord: CallRecord = { kind: wellFormed ? 'action' : 'format_error', ...billing };
  await store.put(keys.callRecord(input.step, input.attempt), JSON.stringify(callRecord));
  if (!parsed.ok || command?.kind === 'invalid') {
    const error = parsed.ok ? (command as { error: string }).error : parsed.error;
    return { ...billing, kind: 'format_error', error, replyKey };
  }
  await writeMessage(store, input.episodeId, input.transcriptLength, {
    role: 'assistant',
    kind: 'action',
    step: input.step,
    content: completion.text,
  });
  await store.put(
    keys.modelCall(input.step),
    JSON.stringify({
      response: completion.text,
      thought: parsed.thought,
      action: parsed.action,
      usage: completion.usage,
      costUsd: billing.costUsd,
      formatErrors: input.formatErrors,
    }),
  );
  return { ...billing, kind: 'action', action: parsed.action, thoughtPreview: preview(parsed.thought, 200) };
}

import { Context } from '@temporalio/activity';
import { episodeKeys } from '../lib/artifact-keys';
import type { ModelParams, Usage } from '../lib/episode';
import { type HistoryProcessor, processHistory } from '../lib/history';
import { parseModelSpec } from '../lib/model-spec';
import { costOf, estimateTokens, resolvePricing } from '../lib/pricing';
import { parseReply, type ReplyParserName } from '../lib/reply-parser';
import { formatErrorPrompt } from '../lib/prompts';
import { preview } from '../lib/truncate';
import { artifacts } from './context';
import type { ChatMessage } from './model/provider';
import { createProvider } from './model/providers';
import { readTranscript, writeMessage } from './transcript';
import type { CallRecord, ModelCallRecord } from './finish';
import { FailureType, hasFailureType } from '../lib/failures';

/**
 * A cancel reaches a running activity only in the reply to one of its heartbeats, and the worker
 * sends at most one per throttle interval (3 s in workers/main.ts): beat often so a cancelled
 * episode's model request is aborted within seconds.
 */
const HEARTBEAT_MS = 1_000;

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
  /** Malformed replies of this step so far; MLGym shows the model the last one and its format error template. */
  formatErrors: { replyKey: string; error: string }[];
  /** The agent config's history processor (absent: keep the last `historyObservations` observations). */
  historyProcessor?: HistoryProcessor;
  /** The agent config's format error message (absent: our default agent's). */
  formatError?: string;
  /** The agent config's reply parser (absent: MLGym's default agent's). */
  outputParser?: ReplyParserName;
  /** What the episode has spent before this call: the call that reaches the cost limit ends it (exit_cost). */
  costSoFarUsd?: number;
  /**
   * MLGym's last re-query: its reply is paid for but never parsed, the step exits with exit_format.
   * Absent in calls scheduled by workflows older than MLGym's accounting.
   */
  lastRequery?: boolean;
}

interface Billing {
  usage: Usage;
  costUsd: number;
}

/** How a step's model call can end the episode, with MLGym's names. */
export type ModelExit = 'exit_format' | 'exit_context' | 'exit_cost';

export type CallModelResult =
  /** `exit` set: the action MLGym records for the step is that exit (exit_format, exit_context, exit_cost). */
  | (Billing & { kind: 'action'; action: string; thoughtPreview: string; exit?: ModelExit })
  | (Billing & { kind: 'format_error'; error: string; replyKey: string })
  /** Only from workflows older than MLGym's accounting; now an action with `exit: 'exit_context'`. */
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
  const messages: ChatMessage[] = processHistory(transcript, input.historyProcessor ?? input.historyObservations).map(({ role, content }) => ({
    role,
    content,
  }));
  // MLGym re-asks with the last malformed reply and its format error template, nothing older.
  const failed = input.formatErrors.at(-1);
  if (failed) {
    messages.push({ role: 'assistant', content: (await store.get(failed.replyKey)).toString('utf8') });
    messages.push({ role: 'user', content: input.formatError ?? formatErrorPrompt() });
  }

  const noBill: Billing = { usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0 };
  const exitStep = async (exit: ModelExit, billing: Billing, response: string, thought: string): Promise<CallModelResult> => {
    await recordAction(input, { response, thought, action: exit, usage: billing.usage, costUsd: billing.costUsd, formatErrors: input.formatErrors });
    return { ...billing, kind: 'action', action: exit, thoughtPreview: preview(thought, 200), exit };
  };
  const promptTokens = estimateTokens(messages);
  if (promptTokens > pricing.contextWindow) {
    return exitStep('exit_context', noBill, CONTEXT_EXIT, CONTEXT_EXIT);
  }

  let completion;
  // Heartbeats let Temporal notice a dead worker within the heartbeat timeout instead of the
  // call's whole start-to-close timeout, and bring the workflow's cancel, which aborts the request.
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
      step: input.step,
      attempt: input.attempt,
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    // Cancelled (the episode was cancelled or the workflow is gone): report the cancellation itself,
    // not the SDK's abort error, so the worker completes the activity as cancelled, not failed.
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
    if (hasFailureType(err, FailureType.ContextWindowExceeded)) return exitStep('exit_context', noBill, CONTEXT_EXIT, CONTEXT_EXIT);
    // A replayed run that ended on its budget: the recorded step's exit, free like every replayed call.
    if (hasFailureType(err, FailureType.CostLimitExceeded)) return exitStep('exit_cost', noBill, COST_EXIT, COST_EXIT);
    throw err;
  } finally {
    clearInterval(beat);
  }
  const billing: Billing = { usage: completion.usage, costUsd: costOf(completion.usage, pricing) };
  const replyKey = keys.reply(input.step, input.attempt);
  const parsed = input.lastRequery ? undefined : parseReply(completion.text, input.outputParser);
  // Every answered call's billing, malformed ones included: a resumed episode sums these up.
  const callRecord: CallRecord = { kind: parsed?.ok ? 'action' : 'format_error', ...billing };
  // Independent writes go out together: a step's overhead is mostly round trips.
  await Promise.all([store.put(replyKey, completion.text), store.put(keys.callRecord(input.step, input.attempt), JSON.stringify(callRecord))]);
  // MLGym's budget check follows every answered call: the call that reaches the limit is paid for
  // and its reply is not acted on.
  const spent = (input.costSoFarUsd ?? 0) + billing.costUsd;
  if (input.costSoFarUsd !== undefined && input.costLimitUsd > 0 && spent >= input.costLimitUsd) {
    return exitStep('exit_cost', billing, COST_EXIT, COST_EXIT);
  }
  if (!parsed) return exitStep('exit_format', billing, completion.text, FORMAT_EXIT);
  if (!parsed.ok) return { ...billing, kind: 'format_error', error: parsed.error, replyKey };
  await recordAction(input, {
    response: completion.text,
    thought: parsed.thought,
    action: parsed.action,
    usage: completion.usage,
    costUsd: billing.costUsd,
    formatErrors: input.formatErrors,
  });
  return { ...billing, kind: 'action', action: parsed.action, thoughtPreview: preview(parsed.thought, 200) };
}

/** What MLGym records as the reply, thought and action of a step its agent ended. */
const CONTEXT_EXIT = 'Exit due to context window';
const COST_EXIT = 'Exit due to cost limit';
const FORMAT_EXIT = 'Exit due to format error';

/** The step's reply joins the transcript (MLGym's history) and its record the step's artifacts. */
async function recordAction(input: CallModelInput, record: ModelCallRecord): Promise<void> {
  const store = artifacts();
  await Promise.all([
    writeMessage(store, input.episodeId, input.transcriptLength, { role: 'assistant', kind: 'action', step: input.step, content: record.response }),
    store.put(episodeKeys(input.episodeId).modelCall(input.step), JSON.stringify(record)),
  ]);
}

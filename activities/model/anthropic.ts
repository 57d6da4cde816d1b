import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { malformedReply, sdkFailure, type CallContext } from './errors';
import type { ChatMessage, Completion, CompletionRequest, ModelProvider } from './provider';
import { describeIssues } from '../../lib/task-config';

export const ANTHROPIC_KEY_ENV = 'ANTHROPIC_API_KEY';
export const ANTHROPIC_BASE_URL_ENV = 'ANTHROPIC_BASE_URL';
const DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicSettings {
  apiKey: string;
  baseURL?: string;
  timeoutMs: number;
}

/** The reply's text blocks; other kinds (thinking, tool use) are dropped before validation. */
const TextContent = z
  .array(z.looseObject({ type: z.string() }))
  .transform((blocks) => blocks.filter((block) => block.type === 'text'))
  .pipe(z.array(z.object({ type: z.literal('text'), text: z.string() })));

const MessageReply = z.object({
  content: TextContent,
  usage: z.object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
  }),
});

type Turn = { role: 'user' | 'assistant'; content: string };

/**
 * System messages go to the `system` parameter; consecutive turns of one role are merged so the
 * conversation alternates as the Messages API expects.
 */
function toMessagesApi(messages: readonly ChatMessage[]): { system?: string; turns: Turn[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns: Turn[] = [];
  for (const { role, content } of messages) {
    if (role === 'system') continue;
    const last = turns.at(-1);
    if (last?.role === role) last.content = `${last.content}\n\n${content}`;
    else turns.push({ role, content });
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, turns };
}

/**
 * One sampling knob only: several Claude models reject temperature and top_p together. Temperature
 * wins (at MLGym's temperature 0, top_p has no effect anyway); top_p is sent instead only when
 * temperature sits at Anthropic's default of 1, i.e. the caller chose nucleus sampling.
 */
function samplingParams(request: CompletionRequest): { temperature: number } | { top_p: number } {
  return request.temperature === 1 && request.topP < 1 ? { top_p: request.topP } : { temperature: request.temperature };
}

/**
 * The newest Claude models refuse sampling parameters outright (400 "`temperature` is deprecated
 * for this model"; the SDK's types no longer list them) while older ones honour them. Rather than
 * guess from model names, a refused call is sent once more without them, and the model is
 * remembered for the rest of the process.
 */
const SAMPLING_REFUSED = /\b(temperature|top_p)\b/;
const refusesSampling = new Set<string>();

export class AnthropicProvider implements ModelProvider {
  private readonly client: Anthropic;

  constructor(private readonly settings: AnthropicSettings) {
    // Temporal owns retries; an explicit timeout also stops the SDK refusing large non-streaming max_tokens.
    this.client = new Anthropic({
      apiKey: settings.apiKey,
      baseURL: settings.baseURL ?? DEFAULT_BASE_URL,
      timeout: settings.timeoutMs,
      maxRetries: 0,
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const ctx: CallContext = {
      spec: `anthropic:${request.model}`,
      keyEnv: ANTHROPIC_KEY_ENV,
      secrets: [this.settings.apiKey],
    };
    let raw: unknown;
    try {
      raw = await this.createAdapting(request);
    } catch (err) {
      throw sdkFailure(err, Anthropic, ctx);
    }
    const reply = MessageReply.safeParse(raw);
    if (!reply.success) throw malformedReply(ctx, describeIssues(reply.error, 1));
    const { content, usage } = reply.data;
    return {
      text: content.map((block) => block.text).join(''),
      usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens },
    };
  }

  private async createAdapting(request: CompletionRequest): Promise<unknown> {
    if (refusesSampling.has(request.model)) return this.create(request, false);
    try {
      return await this.create(request, true);
    } catch (err) {
      if (!(err instanceof Anthropic.BadRequestError && SAMPLING_REFUSED.test(err.message))) throw err;
      refusesSampling.add(request.model);
      return this.create(request, false);
    }
  }

  private create(request: CompletionRequest, withSampling: boolean): Promise<unknown> {
    const { system, turns } = toMessagesApi(request.messages);
    return this.client.messages.create(
      {
        model: request.model,
        max_tokens: request.maxOutputTokens,
        ...(system === undefined ? {} : { system }),
        messages: turns,
        ...(withSampling ? samplingParams(request) : {}),
      },
      { signal: request.signal },
    );
  }
}

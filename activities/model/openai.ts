import OpenAI from 'openai';
import { z } from 'zod';
import { malformedReply, sdkFailure, type CallContext } from './errors';
import type { Completion, CompletionRequest, ModelProvider } from './provider';
import { describeIssues } from '../../lib/task-config';

export const OPENAI_KEY_ENV = 'OPENAI_API_KEY';
export const OPENAI_BASE_URL_ENV = 'OPENAI_BASE_URL';
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAISettings {
  apiKey: string;
  /** An OpenAI-compatible server (vLLM, Ollama, LiteLLM, OpenRouter); the official API when absent. */
  baseURL?: string;
  timeoutMs: number;
}

/** Only what we use; anything else in the reply is ignored. */
const ChatCompletionReply = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  usage: z.object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
  }),
});

/**
 * OpenAI's reasoning models (o-series, gpt-5) reject `max_tokens` and any temperature or top_p
 * but the default; they take `max_completion_tokens` instead.
 */
const REASONING_MODEL = /^(o\d+|gpt-5)([-.]|$)/i;

function samplingParams(request: CompletionRequest) {
  if (REASONING_MODEL.test(request.model)) return { max_completion_tokens: request.maxOutputTokens };
  // Compatible servers know max_tokens far more widely than its replacement.
  return { max_tokens: request.maxOutputTokens, temperature: request.temperature, top_p: request.topP };
}

export class OpenAIProvider implements ModelProvider {
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAISettings) {
    // Temporal owns retries: an SDK retry would hide the server's Retry-After and double the wait.
    this.client = new OpenAI({
      apiKey: settings.apiKey,
      baseURL: settings.baseURL ?? DEFAULT_BASE_URL,
      timeout: settings.timeoutMs,
      maxRetries: 0,
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const ctx: CallContext = { spec: `openai:${request.model}`, keyEnv: OPENAI_KEY_ENV, secrets: [this.settings.apiKey] };
    let raw: unknown;
    try {
      raw = await this.client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages.map(({ role, content }) => ({ role, content })),
          ...samplingParams(request),
        },
        { signal: request.signal },
      );
    } catch (err) {
      throw sdkFailure(err, OpenAI, ctx);
    }
    const reply = ChatCompletionReply.safeParse(raw);
    if (!reply.success) throw malformedReply(ctx, describeIssues(reply.error, 1));
    const { choices, usage } = reply.data;
    return {
      text: choices[0].message.content,
      usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens },
    };
  }
}

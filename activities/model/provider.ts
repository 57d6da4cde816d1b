/** The wire-level contract every model provider (openai, anthropic, replay) implements. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  /** Model name without the provider prefix (for replay: the trajectory path). */
  model: string;
  messages: ChatMessage[];
  temperature: number;
  topP: number;
  maxOutputTokens: number;
  /** 0-based index of this call within the episode (replay uses it to pick the recorded reply). */
  callIndex: number;
  /** The episode step this call answers (1-based) and its attempt (0, then 1.. for re-asks after a malformed reply). */
  step: number;
  attempt: number;
  /**
   * Aborts the HTTP request (the activity's cancellation signal): a cancelled episode must not wait
   * for a hanging provider. The SDK then rejects with its abort error, which is not a provider fault.
   */
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
}

export interface ModelProvider {
  complete(request: CompletionRequest): Promise<Completion>;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on loopback speaking the OpenAI Chat Completions and Anthropic Messages wire
 * formats, so tests drive the real SDK clients (their parsing, headers, timeouts and errors).
 * Replies come from a script shared by both formats, in arrival order; faults are injected the
 * same way.
 */
export type WireFormat = 'openai' | 'anthropic';

export interface ScriptedReply {
  text: string;
  /** Reported token counts; an estimate from the request and reply when absent. */
  usage?: { inputTokens?: number; outputTokens?: number };
}

export type ScriptedFault =
  /** An error status with the provider's error body (or `body`, sent as JSON, instead). */
  | { fault: 'status'; status: number; retryAfter?: string; retryAfterMs?: string; body?: unknown }
  /** Accept the request and never answer: the client must give up by itself. */
  | { fault: 'hang' }
  /** 200 with a JSON content type and a truncated body. */
  | { fault: 'malformed' }
  /** The provider's real 400 for a prompt longer than the context window. */
  | { fault: 'context_length' };

export type ScriptItem = string | ScriptedReply | ScriptedFault;

export interface RecordedRequest {
  provider: WireFormat;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** Arrival time, ms since the epoch. */
  at: number;
  /** When the client closed the connection before the reply was sent (gave up, or aborted), ms since the epoch. */
  closedAt?: number;
}

/** Answers requests once the script is used up (for long scripted episodes). */
export type Responder = (request: RecordedRequest) => ScriptItem | Promise<ScriptItem>;

export interface FakeLlmServer {
  url: string;
  /** For `OPENAI_BASE_URL` (the SDK appends `/chat/completions`). */
  openaiBaseUrl: string;
  /** For `ANTHROPIC_BASE_URL` (the SDK appends `/v1/messages`). */
  anthropicBaseUrl: string;
  script(...items: ScriptItem[]): void;
  setResponder(responder: Responder | undefined): void;
  /** Scripted items not yet consumed. */
  remaining(): number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const ROUTES: Record<string, WireFormat> = {
  '/v1/chat/completions': 'openai',
  '/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
};

const estimate = (text: string) => Math.ceil(text.length / 4);

function errorBody(provider: WireFormat, status: number, message: string, code?: string): unknown {
  if (provider === 'openai') {
    const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { message, type, param: null, code: code ?? null } };
  }
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return { type: 'error', error: { type: types[status] ?? 'api_error', message } };
}

function statusMessage(status: number, request: RecordedRequest): string {
  if (status === 401) {
    // Deliberately the worst case: some servers echo the key they got, so tests prove we redact it.
    const key = request.headers['x-api-key'] ?? String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    return `Incorrect API key provided: ${String(key)}.`;
  }
  if (status === 429) return 'Rate limit reached; please try again later.';
  return `fake LLM server injected HTTP ${status}`;
}

function successBody(provider: WireFormat, reply: ScriptedReply, request: RecordedRequest, seq: number): unknown {
  const body = (request.body ?? {}) as { model?: string; messages?: unknown; system?: unknown };
  const inputTokens = reply.usage?.inputTokens ?? estimate(JSON.stringify([body.system ?? '', body.messages ?? []]));
  const outputTokens = reply.usage?.outputTokens ?? estimate(reply.text);
  if (provider === 'openai') {
    return {
      id: `chatcmpl-fake-${seq}`,
      object: 'chat.completion',
      created: Math.floor(request.at / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
    };
  }
  return {
    id: `msg_fake_${seq}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: reply.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}

function contextLengthBody(provider: WireFormat): unknown {
  return provider === 'openai'
    ? errorBody(
        'openai',
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
        'context_length_exceeded',
      )
    : errorBody('anthropic', 400, 'prompt is too long: 215000 tokens > 200000 maximum');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const queue: ScriptItem[] = [];
  const requests: RecordedRequest[] = [];
  let responder: Responder | undefined;

  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const provider = ROUTES[path];
    if (req.method !== 'POST' || provider === undefined) {
      sendJson(res, 404, { error: { message: `fake LLM server: no route for ${req.method} ${path}` } });
      return;
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const request: RecordedRequest = { provider, method: req.method, path, headers: req.headers, body, at: Date.now() };
    requests.push(request);
    const seq = requests.length;
    res.once('close', () => {
      if (!res.writableFinished) request.closedAt = Date.now();
    });

    if (body === undefined) return sendJson(res, 400, errorBody(provider, 400, 'request body is not JSON'));
    if ((body as { stream?: unknown }).stream === true) {
      return sendJson(res, 400, errorBody(provider, 400, 'fake LLM server does not stream'));
    }
    const item = queue.shift() ?? (await responder?.(request));
    if (item === undefined) {
      const message = 'fake LLM server: script exhausted (no scripted reply left and no responder set)';
      return sendJson(res, 500, errorBody(provider, 500, message));
    }
    if (typeof item === 'string') return sendJson(res, 200, successBody(provider, { text: item }, request, seq));
    if ('text' in item) return sendJson(res, 200, successBody(provider, item, request, seq));
    switch (item.fault) {
      case 'status': {
        const headers: Record<string, string> = {};
        if (item.retryAfter !== undefined) headers['retry-after'] = item.retryAfter;
        if (item.retryAfterMs !== undefined) headers['retry-after-ms'] = item.retryAfterMs;
        const errBody = item.body ?? errorBody(provider, item.status, statusMessage(item.status, request));
        return sendJson(res, item.status, errBody, headers);
      }
      case 'hang':
        // Headers are never sent; close() destroys the socket if the client has not given up first.
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "broken", "choices": [{"message": {"content": "cut off');
        return;
      case 'context_length':
        return sendJson(res, 400, contextLengthBody(provider));
    }
  }

  const server = http.createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake LLM server failed: ${String(err)}` } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    script: (...items) => void queue.push(...items),
    setResponder: (next) => {
      responder = next;
    },
    remaining: () => queue.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Hanging requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

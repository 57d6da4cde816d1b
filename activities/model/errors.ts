import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../../lib/failures';

/** Who was called, for messages; `secrets` are values that must never appear in a message. */
export interface CallContext {
  /** `provider:model` as the user wrote it. */
  spec: string;
  /** Name of the environment variable holding the key, for hints. */
  keyEnv: string;
  secrets: readonly string[];
}

/** What went wrong with a call, independent of which SDK reported it. */
export type ProviderFault =
  | { kind: 'http'; status: number; headers?: Headers; body: unknown; message: string }
  | { kind: 'network'; timedOut: boolean; message: string }
  | { kind: 'malformed'; message: string };

/** The parts of a Stainless-generated SDK (openai, @anthropic-ai/sdk) needed to recognise its errors. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & { status?: number; headers?: Headers; error?: unknown };
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

/**
 * Recognises an SDK error. Returns undefined for anything else (including the SDK's abort error,
 * which means the activity itself was cancelled and must propagate unchanged).
 */
export function faultFromSdkError(err: unknown, sdk: SdkErrorClasses): ProviderFault | undefined {
  if (err instanceof sdk.APIConnectionError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'network', timedOut: err instanceof sdk.APIConnectionTimeoutError, message: err.message + cause };
  }
  if (err instanceof sdk.APIError && err.status !== undefined) {
    return { kind: 'http', status: err.status, headers: err.headers, body: err.error, message: err.message };
  }
  // The SDKs parse a JSON content type with response.json(); a broken body surfaces as SyntaxError.
  if (err instanceof SyntaxError) return { kind: 'malformed', message: `invalid JSON (${err.message})` };
  return undefined;
}

/** The failure to throw for an SDK error, or the error itself when it is not the provider's fault. */
export function sdkFailure(err: unknown, sdk: SdkErrorClasses, ctx: CallContext): unknown {
  const fault = faultFromSdkError(err, sdk);
  return fault === undefined ? err : failureFromFault(fault, ctx);
}

/** The server's own explanation, wherever the provider put it (OpenAI: error.message, Anthropic: error.error.message). */
const ErrorBody = z.looseObject({
  message: z.string().optional(),
  code: z.string().nullish(),
  error: z.looseObject({ message: z.string().optional(), code: z.string().nullish() }).optional(),
});

function describeBody(body: unknown, fallback: string): { message: string; code?: string } {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return { message: fallback };
  const { data } = parsed;
  return { message: data.error?.message ?? data.message ?? fallback, code: data.error?.code ?? data.code ?? undefined };
}

const CONTEXT_MESSAGE = /maximum context length|context[ _-]?(length|window|limit)|prompt is too long|too many (input )?tokens|exceeds? .*context/i;

const isRetryableStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** Delay in ms the server asked for, from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryDelayFromHeaders(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = headers?.get('retry-after')?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.round(Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Removes key values (and anything shaped like a key) a server may have echoed back. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret.length > 0) clean = clean.split(secret).join('***');
  return clean.replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, 'sk-***');
}

function statusHint(status: number, ctx: CallContext): string {
  if (status === 401) return `; check the API key in ${ctx.keyEnv}`;
  if (status === 403) return `; the key in ${ctx.keyEnv} may lack access to this model`;
  if (status === 404) return '; check the model name (and the base URL for a compatible server)';
  return '';
}

/** Maps a classified provider fault to the Temporal failure the activity throws. */
export function failureFromFault(fault: ProviderFault, ctx: CallContext): ApplicationFailure {
  if (fault.kind === 'network') {
    const message = fault.timedOut
      ? `no reply from ${ctx.spec} within the request timeout (MLGYM_MODEL_TIMEOUT_MS)`
      : `cannot reach ${ctx.spec}: ${redact(fault.message, ctx.secrets)}`;
    return ApplicationFailure.create({ message, type: FailureType.ProviderUnavailable, details: [{ spec: ctx.spec }] });
  }
  if (fault.kind === 'malformed') return malformedReply(ctx, fault.message);

  const server = describeBody(fault.body, fault.message);
  const serverMessage = redact(server.message, ctx.secrets);
  const details = [{ spec: ctx.spec, status: fault.status, serverMessage }];
  if (isRetryableStatus(fault.status)) {
    return ApplicationFailure.create({
      message: `${ctx.spec} unavailable (HTTP ${fault.status}): ${serverMessage}`,
      type: FailureType.ProviderUnavailable,
      details,
      nextRetryDelay: retryDelayFromHeaders(fault.headers),
    });
  }
  // 413 is the payload-size form of the same problem: the prompt has grown too big to send.
  const tooLong = fault.status === 413 || (fault.status === 400 && (server.code === 'context_length_exceeded' || CONTEXT_MESSAGE.test(server.message)));
  if (tooLong) {
    return ApplicationFailure.create({
      message: `prompt exceeds the context window of ${ctx.spec}: ${serverMessage}`,
      type: FailureType.ContextWindowExceeded,
      nonRetryable: true,
      details,
    });
  }
  return ApplicationFailure.create({
    message: `${ctx.spec} rejected the request (HTTP ${fault.status}): ${serverMessage}${statusHint(fault.status, ctx)}`,
    type: FailureType.ProviderRejected,
    nonRetryable: true,
    details,
  });
}

/** A 200 reply the provider cannot use (broken JSON, missing fields). */
export const malformedReply = (ctx: Pick<CallContext, 'spec'>, what: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: `${ctx.spec} sent a malformed reply: ${what}`,
    type: FailureType.ProviderMalformedReply,
    details: [{ spec: ctx.spec }],
  });

export const missingApiKey = (spec: string, keyEnv: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: `${spec} needs an API key: set ${keyEnv} (any non-empty value for a local server that needs none)`,
    type: FailureType.MissingApiKey,
    nonRetryable: true,
  });

export const replayUnreadable = (path: string, what: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: `cannot replay ${path}: ${what}`,
    type: FailureType.ReplayUnreadable,
    nonRetryable: true,
  });

/** `position` is 1-based: the step of an MLGym trajectory, or the call of a reply list. */
export const replayExhausted = (path: string, recorded: number, unit: 'step' | 'call', position: number): ApplicationFailure =>
  ApplicationFailure.create({
    message: `replay:${path} has ${recorded} recorded ${unit === 'step' ? 'steps' : 'replies'}; ${unit} ${position} is past the end`,
    type: FailureType.ReplayExhausted,
    nonRetryable: true,
    details: [{ path, recorded, unit, position }],
  });

/** A replayed trajectory whose run ended on its context window at this step. */
export const replayedContextExceeded = (path: string, step: number): ApplicationFailure =>
  ApplicationFailure.create({
    message: `replay:${path}: the recorded run exceeded its context window at step ${step}`,
    type: FailureType.ContextWindowExceeded,
    nonRetryable: true,
    details: [{ path, step }],
  });

/** The episode's budget is spent; not retryable (retrying cannot refund it). */
export const costLimitExceeded = (spec: string, what: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: `${spec}: cost limit exceeded (${what})`,
    type: FailureType.CostLimitExceeded,
    nonRetryable: true,
    details: [{ spec }],
  });

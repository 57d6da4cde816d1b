import { z } from 'zod';
import type { ModelParams, Usage } from './episode';
import { formatModelSpec, type ModelSpec } from './model-spec';

export const Pricing = z.object({
  /** USD per million input (prompt) tokens. */
  inputPerMTok: z.number().nonnegative(),
  /** USD per million output (completion) tokens. */
  outputPerMTok: z.number().nonnegative(),
  contextWindow: z.number().int().positive(),
});
export type Pricing = z.infer<typeof Pricing>;

export type PriceOverrides = Pick<ModelParams, 'input_price_per_mtok' | 'output_price_per_mtok' | 'context_window'>;

/** Raised when a model's price is unknown and the run has a cost limit to enforce. */
export class PricingError extends Error {
  override name = 'PricingError';
}

/** Used for models the table lacks when the caller disabled the cost limit; the common size today. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;
/** Replay sends nothing anywhere, so only an explicit override should make it hit a context limit. */
export const REPLAY_CONTEXT_WINDOW = 10_000_000;

const price = (inputPerMTok: number, outputPerMTok: number, contextWindow: number): Pricing => ({
  inputPerMTok,
  outputPerMTok,
  contextWindow,
});

/**
 * Public list prices (standard tier, no caching or batch discounts) from the providers' model pages.
 * Newer models than these need --input-price/--output-price until they are added here.
 */
const TABLE: Readonly<Record<string, Pricing>> = {
  'gpt-5.2': price(1.75, 14, 400_000),
  'gpt-5.1': price(1.25, 10, 400_000),
  'gpt-5': price(1.25, 10, 400_000),
  'gpt-5-mini': price(0.25, 2, 400_000),
  'gpt-5-nano': price(0.05, 0.4, 400_000),
  'gpt-4.1': price(2, 8, 1_047_576),
  'gpt-4.1-mini': price(0.4, 1.6, 1_047_576),
  'gpt-4.1-nano': price(0.1, 0.4, 1_047_576),
  'gpt-4o': price(2.5, 10, 128_000),
  // The first gpt-4o snapshot kept its launch price; exact names win over the prefix.
  'gpt-4o-2024-05-13': price(5, 15, 128_000),
  'gpt-4o-mini': price(0.15, 0.6, 128_000),
  'gpt-4-turbo': price(10, 30, 128_000),
  o1: price(15, 60, 200_000),
  o3: price(2, 8, 200_000),
  'o3-mini': price(1.1, 4.4, 200_000),
  'o4-mini': price(1.1, 4.4, 200_000),
  'claude-fable-5-1': price(10, 50, 1_000_000),
  'claude-opus-5-5': price(4, 20, 1_000_000),
  'claude-opus-5': price(5, 25, 1_000_000),
  'claude-sonnet-5-5': price(2, 10, 1_000_000),
  'claude-sonnet-5': price(2, 10, 1_000_000),
  'claude-opus-4-8': price(5, 25, 1_000_000),
  'claude-opus-4-7': price(5, 25, 1_000_000),
  'claude-opus-4-6': price(5, 25, 1_000_000),
  'claude-sonnet-4-6': price(3, 15, 1_000_000),
  'claude-opus-4-5': price(5, 25, 200_000),
  'claude-opus-4-1': price(15, 75, 200_000),
  'claude-opus-4': price(15, 75, 200_000),
  'claude-opus-4-0': price(15, 75, 200_000),
  'claude-sonnet-4-5': price(3, 15, 200_000),
  'claude-sonnet-4': price(3, 15, 200_000),
  'claude-sonnet-4-0': price(3, 15, 200_000),
  'claude-haiku-4-5': price(1, 5, 200_000),
  'claude-3-7-sonnet': price(3, 15, 200_000),
  'claude-3-5-sonnet': price(3, 15, 200_000),
  'claude-3-5-haiku': price(0.8, 4, 200_000),
  'claude-3-opus': price(15, 75, 200_000),
  'claude-3-haiku': price(0.25, 1.25, 200_000),
};

/**
 * Only snapshot tags may follow a known name: a bare prefix match would price `o3-pro` as `o3` or
 * `gpt-4o-audio-preview` as `gpt-4o`, silently breaking the cost limit.
 */
const SNAPSHOT_SUFFIX = /^-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** The table entry for a model name: exact name first, else the longest name it is a snapshot of. */
export function tablePrice(model: string): Pricing | undefined {
  const name = model.toLowerCase();
  if (Object.hasOwn(TABLE, name)) return TABLE[name];
  const base = Object.keys(TABLE)
    .filter((known) => name.startsWith(known) && SNAPSHOT_SUFFIX.test(name.slice(known.length)))
    .sort((a, b) => b.length - a.length)[0];
  return base === undefined ? undefined : TABLE[base];
}

/**
 * The prices and context window an episode runs with. Explicit overrides win everywhere (also for
 * replay, which lets offline tests exercise cost and context limits). An unknown price is an error
 * unless the cost limit is off (0), because the limit could not be enforced.
 */
export function resolvePricing(spec: ModelSpec, overrides: PriceOverrides, costLimitUsd: number): Pricing {
  const offline = spec.provider === 'replay' || spec.provider === 'starter';
  const known = offline ? price(0, 0, REPLAY_CONTEXT_WINDOW) : tablePrice(spec.model);
  const inputPerMTok = overrides.input_price_per_mtok ?? known?.inputPerMTok;
  const outputPerMTok = overrides.output_price_per_mtok ?? known?.outputPerMTok;
  const contextWindow = overrides.context_window ?? known?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
  if (inputPerMTok !== undefined && outputPerMTok !== undefined) {
    return { inputPerMTok, outputPerMTok, contextWindow };
  }
  if (costLimitUsd === 0) return { inputPerMTok: inputPerMTok ?? 0, outputPerMTok: outputPerMTok ?? 0, contextWindow };
  throw new PricingError(`no price known for ${formatModelSpec(spec)}; pass --input-price/--output-price or --cost-limit 0`);
}

export const costOf = (usage: Usage, pricing: Pricing): number =>
  (usage.inputTokens * pricing.inputPerMTok + usage.outputTokens * pricing.outputPerMTok) / 1_000_000;

/** Role markers and separators each chat message adds on the wire. */
const MESSAGE_OVERHEAD_TOKENS = 4;

/** ~4 characters per token for English and code; good enough for limits, not for billing real calls. */
export const estimateTextTokens = (text: string): number => Math.ceil(text.length / 4);

export const estimateTokens = (messages: readonly { content: string }[]): number =>
  messages.reduce((sum, message) => sum + estimateTextTokens(message.content) + MESSAGE_OVERHEAD_TOKENS, 0);

import { z } from 'zod';

/**
 * Which backend answers model calls. `replay` answers from a recorded trajectory file, offline;
 * `starter` runs a task's starter command and submits (baseline measurements, activities/model/starter.ts).
 */
export const ModelProviderName = z.enum(['openai', 'anthropic', 'replay', 'starter']);
export type ModelProviderName = z.infer<typeof ModelProviderName>;

export const ModelSpec = z.object({
  provider: ModelProviderName,
  /** The provider's model name; for `replay`, the path of the trajectory file. */
  model: z.string().min(1),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

/** Raised for a `provider:model` string that cannot be used; its message is one line for the CLI. */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
}

const USAGE = 'use openai:<model>, anthropic:<model> or replay:<trajectory file>';

/**
 * Parses `provider:model`. Only the first colon separates: replay paths and some model names
 * (e.g. Ollama's `llama3:8b`) contain colons themselves.
 */
export function parseModelSpec(text: string): ModelSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) throw new ModelSpecError(`model "${text}" names no provider; ${USAGE}`);
  const provider = trimmed.slice(0, colon);
  const parsed = ModelSpec.safeParse({ provider, model: trimmed.slice(colon + 1).trim() });
  if (parsed.success) return parsed.data;
  if (!ModelProviderName.safeParse(provider).success) {
    throw new ModelSpecError(`unknown model provider "${provider}" in "${text}"; ${USAGE}`);
  }
  throw new ModelSpecError(`model "${text}" names no model after "${provider}:"; ${USAGE}`);
}

/** `starter:-`: the starter file is the submission; nothing to run before submitting it. */
export const NO_STARTER_COMMAND = '-';

/** The model of an episode that measures a task's baseline: its baseline_command, then submit. */
export const starterModel = (baselineCommand: string | null | undefined): string => `starter:${baselineCommand ?? NO_STARTER_COMMAND}`;

export const formatModelSpec = (spec: ModelSpec): string => `${spec.provider}:${spec.model}`;

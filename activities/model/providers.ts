import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { formatModelSpec, type ModelSpec } from '../../lib/model-spec';
import { AnthropicProvider, ANTHROPIC_BASE_URL_ENV, ANTHROPIC_KEY_ENV } from './anthropic';
import { FailureType } from '../../lib/failures';
import { missingApiKey } from './errors';
import { OpenAIProvider, OPENAI_BASE_URL_ENV, OPENAI_KEY_ENV } from './openai';
import type { ModelProvider } from './provider';
import { loadReplies, ReplayProvider } from './replay';
import { StarterProvider } from './starter';
import { describeIssues } from '../../lib/task-config';

export const MODEL_TIMEOUT_ENV = 'MLGYM_MODEL_TIMEOUT_MS';
const DEFAULT_MODEL_TIMEOUT_MS = 600_000;

/** Shells export unset variables as empty strings; treat those as absent. */
const OptionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const Timeout = z.coerce.number().int().positive();

interface HttpSettings {
  apiKey: string;
  baseURL?: string;
  timeoutMs: number;
}

function httpSettings(spec: ModelSpec, keyEnv: string, baseUrlEnv: string, env: NodeJS.ProcessEnv): HttpSettings {
  const apiKey = OptionalText.parse(env[keyEnv]);
  if (apiKey === undefined) throw missingApiKey(formatModelSpec(spec), keyEnv);
  const rawTimeout = OptionalText.parse(env[MODEL_TIMEOUT_ENV]);
  const timeout = Timeout.safeParse(rawTimeout ?? DEFAULT_MODEL_TIMEOUT_MS);
  if (!timeout.success) {
    throw ApplicationFailure.create({
      message: `${MODEL_TIMEOUT_ENV}="${rawTimeout}" is not a positive whole number of milliseconds (${describeIssues(timeout.error, 1)})`,
      type: FailureType.ModelConfigInvalid,
      nonRetryable: true,
    });
  }
  return { apiKey, baseURL: OptionalText.parse(env[baseUrlEnv]), timeoutMs: timeout.data };
}

/** The provider for a parsed spec, configured from the environment (keys never travel in workflow inputs). */
export function createProvider(spec: ModelSpec, env: NodeJS.ProcessEnv = process.env): ModelProvider {
  switch (spec.provider) {
    case 'openai':
      return new OpenAIProvider(httpSettings(spec, OPENAI_KEY_ENV, OPENAI_BASE_URL_ENV, env));
    case 'anthropic':
      return new AnthropicProvider(httpSettings(spec, ANTHROPIC_KEY_ENV, ANTHROPIC_BASE_URL_ENV, env));
    case 'replay':
      return new ReplayProvider();
    case 'starter':
      return new StarterProvider();
  }
}

/**
 * Fails with the same errors a model call would (missing key, bad timeout, unreadable replay file)
 * so the CLI can stop before starting a workflow. Makes no network call.
 */
export async function checkProviderReady(spec: ModelSpec, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (spec.provider === 'replay') await loadReplies(spec.model);
  else createProvider(spec, env);
}

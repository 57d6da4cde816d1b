import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes set by episodes, so runs can be filtered in the Temporal UI
 * (e.g. `MlgymTask = "blotto" AND MlgymStatus = "submitted"`). `mlgym server` registers them.
 */
export const SA = {
  task: defineSearchAttributeKey('MlgymTask', SearchAttributeType.KEYWORD),
  model: defineSearchAttributeKey('MlgymModel', SearchAttributeType.KEYWORD),
  sweep: defineSearchAttributeKey('MlgymSweep', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('MlgymStatus', SearchAttributeType.KEYWORD),
  bestScore: defineSearchAttributeKey('MlgymBestScore', SearchAttributeType.DOUBLE),
  cost: defineSearchAttributeKey('MlgymCost', SearchAttributeType.DOUBLE),
  step: defineSearchAttributeKey('MlgymStep', SearchAttributeType.INT),
  blockedReason: defineSearchAttributeKey('MlgymBlockedReason', SearchAttributeType.TEXT),
  /** The host holding the episode's sandbox (a fleet's `mlgym worker --host` id). */
  host: defineSearchAttributeKey('MlgymHost', SearchAttributeType.KEYWORD),
} as const;

/** `name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.values(SA).map((key) => {
  const type = { KEYWORD: 'Keyword', DOUBLE: 'Double', INT: 'Int', TEXT: 'Text' }[key.type as 'KEYWORD' | 'DOUBLE' | 'INT' | 'TEXT'];
  return `${key.name}=${type}`;
});

import { episodeKeys } from '../lib/artifact-keys';
import type { TranscriptMessage } from '../lib/history';
import type { ArtifactStore } from './artifacts/store';

/**
 * The stored transcript: one immutable artifact per message, numbered. Messages never change once
 * written, so they are cached in memory by key; a retried activity rewrites the same numbered key.
 */
const cache = new Map<string, TranscriptMessage>();
const CACHE_LIMIT = 20_000;

export async function readTranscript(store: ArtifactStore, episodeId: string, length: number): Promise<TranscriptMessage[]> {
  const keys = episodeKeys(episodeId);
  const messages: TranscriptMessage[] = [];
  for (let seq = 0; seq < length; seq++) {
    const key = keys.transcriptMessage(seq);
    let message = cache.get(key);
    if (!message) {
      const body = await store.tryGet(key);
      if (!body) throw new Error(`transcript of ${episodeId} is missing message ${seq} (${store.locate(key)})`);
      message = JSON.parse(body.toString('utf8')) as TranscriptMessage;
      remember(key, message);
    }
    messages.push(message);
  }
  return messages;
}

export async function writeMessage(store: ArtifactStore, episodeId: string, seq: number, message: TranscriptMessage): Promise<void> {
  const key = episodeKeys(episodeId).transcriptMessage(seq);
  await store.put(key, JSON.stringify(message));
  remember(key, message);
}

function remember(key: string, message: TranscriptMessage): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, message);
}

import { Context } from '@temporalio/activity';
import { episodeKeys } from '../lib/artifact-keys';
import type { TranscriptMessage } from '../lib/history';
import type { ArtifactStore } from './artifacts/store';

/**
 * The stored transcript: one artifact per message, numbered. Every model call reads the whole
 * transcript, so each worker process caches the messages it has read; but a numbered key is not
 * written once for all:
 * - a retried activity (maybe on another worker) rewrites the message its failed attempt wrote;
 * - `mlgym episode resume --from-step K` and a workflow reset start a new run that rewrites every
 *   message after step K, while a worker that served the old run still holds the old ones.
 * So messages are cached only when read, and only below the length the workflow passed (messages
 * the workflow has counted, which its run never rewrites), and per workflow run: a message cached
 * for one run is never served to another. A continued-as-new run reads the transcript from the
 * store once more; a resumed one never sees the replaced steps.
 */
const cache = new Map<string, { run: string; messages: Map<number, TranscriptMessage> }>();
const CACHE_LIMIT = 20_000;

/** The workflow run of the calling activity; undefined outside an activity (nothing is cached). */
function callerRun(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.runId;
  } catch {
    return undefined;
  }
}

/** Messages 0..length-1 of the episode's transcript, as the calling workflow run counted them. */
export async function readTranscript(store: ArtifactStore, episodeId: string, length: number): Promise<TranscriptMessage[]> {
  const keys = episodeKeys(episodeId);
  const run = callerRun();
  const cached = run === undefined ? new Map<number, TranscriptMessage>() : runCache(episodeId, run);
  const messages: TranscriptMessage[] = [];
  for (let seq = 0; seq < length; seq++) {
    let message = cached.get(seq);
    if (!message) {
      const key = keys.transcriptMessage(seq);
      const body = await store.tryGet(key);
      if (!body) throw new Error(`transcript of ${episodeId} is missing message ${seq} (${store.locate(key)})`);
      message = JSON.parse(body.toString('utf8')) as TranscriptMessage;
      cached.set(seq, message);
    }
    messages.push(message);
  }
  evict();
  return messages;
}

export async function writeMessage(store: ArtifactStore, episodeId: string, seq: number, message: TranscriptMessage): Promise<void> {
  const key = episodeKeys(episodeId).transcriptMessage(seq);
  // Not cached here: the message counts only once the workflow has seen this activity complete.
  await store.put(key, JSON.stringify(message));
}

/** The run's cached messages of the episode; another run's are dropped. Most recently used last. */
function runCache(episodeId: string, run: string): Map<number, TranscriptMessage> {
  let entry = cache.get(episodeId);
  cache.delete(episodeId);
  if (entry?.run !== run) entry = { run, messages: new Map() };
  cache.set(episodeId, entry);
  return entry.messages;
}

/** Drops the least recently read episodes while more than CACHE_LIMIT messages are cached. */
function evict(): void {
  let total = 0;
  for (const entry of cache.values()) total += entry.messages.size;
  for (const [episodeId, entry] of cache) {
    if (total <= CACHE_LIMIT || cache.size <= 1) break;
    cache.delete(episodeId);
    total -= entry.messages.size;
  }
}

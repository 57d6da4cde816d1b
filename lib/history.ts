/**
 * The transcript as stored, and the history processor that decides what the model sees of it.
 * The processors are MLGym's: its default agent's Last5Observations keeps the system prompt, every
 * reply, the demonstrations, the first user message (the task) and the last 5 user messages in
 * full, and replaces each older one with a line count.
 */
import { z } from 'zod';
import { pyLineCount } from './python-str';

export type MessageKind = 'system' | 'demonstration' | 'task' | 'action' | 'observation';

export interface TranscriptMessage {
  role: 'system' | 'user' | 'assistant';
  kind: MessageKind;
  content: string;
  /** Step the message belongs to (0 for the system prompt, the demonstrations and the task). */
  step: number;
}

/** MLGym's DefaultHistoryProcessor (`keep_all`) or its Last<N>Observations / LastNObservations. */
export const HistoryProcessor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keep_all') }).strict(),
  z.object({ kind: z.literal('last_observations'), n: z.number().int().nonnegative() }).strict(),
]);
export type HistoryProcessor = z.infer<typeof HistoryProcessor>;

/** A number n is `last_observations` n (the episode limit `history_observations`). */
export function processHistory(messages: TranscriptMessage[], processor: HistoryProcessor | number): TranscriptMessage[] {
  const spec: HistoryProcessor = typeof processor === 'number' ? { kind: 'last_observations', n: processor } : processor;
  if (spec.kind === 'keep_all') return messages;
  // MLGym counts every user message but the demonstrations; the first one (the task) always stays.
  const counted = (m: TranscriptMessage) => m.role === 'user' && m.kind !== 'demonstration';
  const total = messages.filter(counted).length;
  let index = 0;
  return messages.map((message) => {
    if (!counted(message)) return message;
    index += 1;
    if (index === 1 || index > total - spec.n) return message;
    return { ...message, content: `Old output omitted (${pyLineCount(message.content)} lines)` };
  });
}

/**
 * The transcript as stored, and the history processor that decides what the model sees of it:
 * the system prompt, the task, every action, and only the last N observations in full (MLGym keeps 5).
 */
export type MessageKind = 'system' | 'task' | 'action' | 'observation';

export interface TranscriptMessage {
  role: 'system' | 'user' | 'assistant';
  kind: MessageKind;
  content: string;
  /** Step the message belongs to (0 for the system prompt and the task). */
  step: number;
}

export function processHistory(messages: TranscriptMessage[], keepObservations: number): TranscriptMessage[] {
  const observationIndices = messages.flatMap((m, i) => (m.kind === 'observation' ? [i] : []));
  const firstKept = observationIndices.length - keepObservations;
  const kept = new Set(observationIndices.slice(Math.max(0, firstKept)));
  return messages.map((message, i) => {
    if (message.kind !== 'observation' || kept.has(i)) return message;
    const lines = message.content.split('\n').length;
    return { ...message, content: `Old environment output: (${lines} lines omitted)` };
  });
}

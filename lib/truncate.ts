/**
 * Cuts long command output to its head and tail so the model sees the start (usually the command's
 * own messages) and the end (usually the result), with a note of what was cut.
 */
export function truncateMiddle(text: string, maxChars: number, fullOutputRef?: string): string {
  if (text.length <= maxChars) return text;
  const head = text.slice(0, Math.floor(maxChars / 2));
  const tail = text.slice(text.length - Math.ceil(maxChars / 2));
  const cut = text.slice(head.length, text.length - tail.length);
  const cutLines = cut.split('\n').length - 1;
  const where = fullOutputRef ? ` The full output is saved as ${fullOutputRef}.` : '';
  return `${head}\n[... ${cut.length} characters (${cutLines} lines) cut from the middle of this output.${where} ...]\n${tail}`;
}

/** A single-line preview for summaries, status queries and search attributes. */
export function preview(text: string, maxChars = 120): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= maxChars ? oneLine : `${oneLine.slice(0, maxChars - 1)}…`;
}

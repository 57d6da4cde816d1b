/**
 * Parses a model reply in MLGym's format: a DISCUSSION (free text) followed by exactly one fenced
 * command block. Anything else is a format error that the episode re-asks about.
 */
export type ParsedReply = { ok: true; thought: string; action: string } | { ok: false; error: string };

const FENCE = /^[ \t]*```[^\n`]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;

export function parseReply(text: string): ParsedReply {
  const blocks = [...text.matchAll(FENCE)];
  if (blocks.length === 0) {
    return { ok: false, error: 'Your reply has no fenced command block.' };
  }
  if (blocks.length > 1) {
    return {
      ok: false,
      error: `Your reply has ${blocks.length} fenced blocks; it must have exactly one, holding the single command to run.`,
    };
  }
  const [block] = blocks;
  const action = block[1].replace(/\s+$/, '').replace(/^\n+/, '');
  if (action.trim() === '') {
    return { ok: false, error: 'Your fenced command block is empty.' };
  }
  const outside = (text.slice(0, block.index) + text.slice(block.index + block[0].length)).trim();
  const thought = outside.replace(/^DISCUSSION\s*:?\s*/i, '').trim();
  if (thought === '') {
    return { ok: false, error: 'Your reply has no DISCUSSION before the command: explain your reasoning first.' };
  }
  return { ok: true, thought, action };
}

export function formatErrorMessage(error: string): string {
  return [
    `Your output was not formatted correctly: ${error}`,
    'Reply with a DISCUSSION section (your reasoning), then exactly ONE command in ONE fenced block, like this:',
    '',
    'DISCUSSION',
    'First I will look at the files in the workspace.',
    '',
    '```',
    'ls -a',
    '```',
  ].join('\n');
}

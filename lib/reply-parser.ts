/**
 * Parses a model reply as MLGym's default agent does (its MLGymThoughtActionParser): the command
 * is the last top-level fenced block, the thought is everything around it (DISCUSSION included,
 * which may be empty or absent), and a reply with two or more fenced blocks, or none, is a format
 * error that the episode re-asks about.
 */
export type ParsedReply = { ok: true; thought: string; action: string } | { ok: false; error: string };

/** A fence line: an opening one may name a language (```bash); a bare one opens or closes. */
const FENCE_LINE = /^```(\S*)\s*\n|^```\s*$/gm;

/**
 * `MLGymThoughtActionParser` (MLGym's default agent) refuses a reply with more than one block;
 * `ThoughtActionParser` (MLGym's default when an agent YAML names none) takes the last one.
 */
export type ReplyParserName = 'MLGymThoughtActionParser' | 'ThoughtActionParser';

export function parseReply(text: string, parser: ReplyParserName = 'MLGymThoughtActionParser'): ParsedReply {
  // Counted the way MLGym counts: any two triple backticks make a block, inline ones too.
  if (parser === 'MLGymThoughtActionParser' && [...text.matchAll(/```([\s\S]*?)```/g)].length > 1) {
    return { ok: false, error: 'Found more than one code block in the model response.' };
  }
  const open: RegExpMatchArray[] = [];
  let last: { start: RegExpMatchArray; end: RegExpMatchArray } | undefined;
  for (const fence of text.matchAll(FENCE_LINE)) {
    const language = fence[1];
    if (open.length > 0 && !language) {
      const start = open.pop()!;
      if (open.length === 0) last = { start, end: fence };
    } else if (language !== undefined) {
      open.push(fence);
    }
  }
  if (!last) return { ok: false, error: 'No action found in model response.' };
  const startEnd = last.start.index! + last.start[0].length;
  const endStart = last.end.index!;
  return {
    ok: true,
    thought: text.slice(0, last.start.index) + text.slice(endStart + last.end[0].length),
    action: text.slice(startEnd, endStart),
  };
}

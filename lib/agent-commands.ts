/**
 * Turns the command of a model reply into what the harness does with it: run an evaluation
 * (`validate`, `submit`) or run a bash script in the agent's shell, where the tools of
 * tools/lib/mlgym.sh are shell functions.
 *
 * Multi-line edit and insert blocks (`edit 10:12`, the new lines, `end_of_edit`) become quoted
 * heredocs, so the tool reads the text byte for byte on stdin (no `$var`, backtick or backslash
 * expansion). Which blocks are recognised follows MLGym's guard_multiline_input: a line that starts
 * (after blanks) with the tool's name opens a block, whatever follows the name, and the first later
 * line that is the terminator, optionally followed by blanks, closes it.
 */
import { isMalformedEdit, MALFORMED_EDIT_OBSERVATION } from './mlgym-env';

export type AgentCommand =
  | { kind: 'validate' }
  | { kind: 'submit' }
  /** `long` = run with the task's training timeout: the agent asked for it with `long_run`. */
  | { kind: 'shell'; command: string; long: boolean }
  /** Not run; `error` is what the agent is told. */
  | { kind: 'invalid'; error: string };

/** The prefix that asks for the training timeout explicitly (our addition to MLGym's rules). */
export const LONG_RUN_PREFIX = 'long_run';

/**
 * The tools that take a text block: the line that opens a block, a call with valid arguments (the
 * tool then reads its text from stdin; only the first argument counts, as in the tool), and the line
 * that ends the block.
 */
export const TEXT_BLOCK_TOOLS = [
  { name: 'edit', opening: /^\s*edit/, call: /^\s*edit\s+\d+:\d+(:\S*)?(\s|$)/, terminator: 'end_of_edit' },
  { name: 'insert', opening: /^\s*insert/, call: /^\s*insert\s+\d+(\s|$)/, terminator: 'end_of_insert' },
] as const;

type TextBlockTool = (typeof TEXT_BLOCK_TOOLS)[number];

export function parseAgentCommand(action: string): AgentCommand {
  // Models and some APIs send CRLF; a stray \r would end up inside file text or break bash syntax.
  const text = action.replace(/\r\n?/g, '\n').trim();
  if (text === '') return { kind: 'invalid', error: 'The command is empty.' };
  // Exactly `validate` or `submit`; with anything around them they run in the shell like any tool,
  // and the markers they print there ask the harness for the evaluation, as in MLGym.
  if (text === 'validate' || text === 'submit') return { kind: text };

  if (text.split(/\s/, 1)[0] === LONG_RUN_PREFIX) {
    const rest = text.slice(LONG_RUN_PREFIX.length).trim();
    if (rest === '') return { kind: 'invalid', error: '`long_run` needs a command, e.g. `long_run python train.py`.' };
    const inner = parseAgentCommand(rest);
    if (inner.kind === 'shell') return { ...inner, long: true };
    if (inner.kind === 'invalid') return inner;
    return { kind: 'invalid', error: `\`${inner.kind}\` cannot be combined with \`long_run\`.` };
  }

  if (isMalformedEdit(text)) return { kind: 'invalid', error: MALFORMED_EDIT_OBSERVATION };
  return guardTextBlocks(text);
}

/** Rewrites every edit/insert block as a heredoc; other lines pass through unchanged. */
function guardTextBlocks(text: string): AgentCommand {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const opening = lines[i];
    const tool = TEXT_BLOCK_TOOLS.find((t) => t.opening.test(opening));
    const end = tool ? lines.findIndex((line, j) => j > i && isTerminator(line, tool)) : -1;
    if (!tool || end === -1) {
      // Without its terminator, a valid call would make MLGym feed the tool the rest of its own input
      // and hang until the episode dies: refused instead, so the text never runs as shell commands.
      // Calls with bad arguments print their usage without reading anything, as in MLGym.
      if (tool?.call.test(opening)) return missingTerminator(opening.trim(), tool);
      out.push(opening);
      continue;
    }
    // Bash ends a heredoc only at a line that is exactly the delimiter: trailing blanks are dropped.
    out.push(alreadyGuarded(opening, tool) ? opening : `${opening} << '${tool.terminator}'`, ...lines.slice(i + 1, end), tool.terminator);
    i = end;
  }
  return { kind: 'shell', command: out.join('\n'), long: false };
}

function isTerminator(line: string, tool: TextBlockTool): boolean {
  return line.startsWith(tool.terminator) && line.slice(tool.terminator.length).trim() === '';
}

/** The model wrote the heredoc itself (`edit 1:2 << 'end_of_edit'`). */
function alreadyGuarded(opening: string, tool: TextBlockTool): boolean {
  return new RegExp(`<<-?\\s*(['"]?)${tool.terminator}\\1\\s*$`).test(opening);
}

function missingTerminator(opening: string, tool: TextBlockTool): AgentCommand {
  return {
    kind: 'invalid',
    error:
      `\`${opening}\` is missing its closing \`${tool.terminator}\` line. Put the new text on the lines after ` +
      `\`${opening}\` and finish with a line holding only \`${tool.terminator}\`.`,
  };
}

/**
 * Turns the command block of a model reply into what the harness does with it: run an evaluation
 * (`validate`, `submit`) or run a bash script in the sandbox.
 *
 * Models write file edits in the multi-line form of the tool docs (`edit 10:12`, the new lines,
 * `end_of_edit`). Those blocks become bash heredocs with a quoted delimiter, so the tool receives
 * the text byte for byte: no `$var`, backtick or backslash expansion.
 */

export type AgentCommand =
  | { kind: 'validate' }
  | { kind: 'submit' }
  /** `long` = run with the task's training timeout instead of the short command timeout. */
  | { kind: 'shell'; command: string; long: boolean }
  | { kind: 'invalid'; error: string };

/** The prefix that asks for the training timeout; an explicit choice, never guessed from the command. */
export const LONG_RUN_PREFIX = 'long_run';

/**
 * Multi-line tool forms: the opening line and the line that closes the text block. The opening
 * accepts any single argument, so a malformed one (`edit 5`) still gets its text block as stdin and
 * the tool's usage error, instead of bash running the file text as commands. More than one argument
 * is something else (`insert into t ...` inside an SQL heredoc) and passes through.
 */
export const TEXT_BLOCK_TOOLS = [
  { opening: /^edit(\s+\S+)?$/, terminator: 'end_of_edit' },
  { opening: /^insert(\s+\S+)?$/, terminator: 'end_of_insert' },
] as const;

const EVALUATIONS = ['validate', 'submit'] as const;

export function parseAgentCommand(action: string): AgentCommand {
  // Models and some APIs send CRLF; a stray \r would end up inside file text or break bash syntax.
  const text = action.replace(/\r\n?/g, '\n').trim();
  if (text === '') return { kind: 'invalid', error: 'The command is empty.' };

  const firstWord = text.split(/\s/, 1)[0];
  if (text === 'validate' || text === 'submit') return { kind: text };
  if ((EVALUATIONS as readonly string[]).includes(firstWord)) {
    return { kind: 'invalid', error: `\`${firstWord}\` takes no arguments: reply with just \`${firstWord}\`.` };
  }

  if (firstWord === LONG_RUN_PREFIX) {
    const rest = text.slice(LONG_RUN_PREFIX.length).trim();
    if (rest === '') return { kind: 'invalid', error: '`long_run` needs a command, e.g. `long_run python train.py`.' };
    const inner = parseAgentCommand(rest);
    if (inner.kind === 'shell') return { ...inner, long: true };
    if (inner.kind === 'invalid') return inner;
    return { kind: 'invalid', error: `\`${inner.kind}\` cannot be combined with \`long_run\`.` };
  }

  return toShell(text);
}

/** Rewrites every multi-line edit/insert block as a heredoc; other lines pass through unchanged. */
function toShell(text: string): AgentCommand {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const opening = lines[i].trim();
    const block = TEXT_BLOCK_TOOLS.find((t) => t.opening.test(opening));
    if (!block) {
      out.push(lines[i]);
      continue;
    }
    // Models often leave spaces after the terminator; bash needs it alone on its line.
    const end = lines.findIndex((line, j) => j > i && line.trim() === block.terminator);
    if (end === -1) {
      return {
        kind: 'invalid',
        error:
          `\`${opening}\` is missing its closing \`${block.terminator}\` line. Put the new text on the lines ` +
          `after \`${opening}\` and finish with a line holding only \`${block.terminator}\`.`,
      };
    }
    out.push(`${opening} <<'${block.terminator}'`, ...lines.slice(i + 1, end), block.terminator);
    i = end;
  }
  return { kind: 'shell', command: out.join('\n'), long: false };
}

/**
 * The agent's tool documentation for the system prompt. It must describe exactly what the tools in
 * tools/bin and parseAgentCommand accept, so the terminators and the long_run prefix come from there.
 */
import { LONG_RUN_PREFIX, TEXT_BLOCK_TOOLS } from './agent-commands';

export interface ToolDoc {
  /** How to call it; multi-line for tools that take a text block. */
  signature: string;
  docstring: string;
}

const [EDIT_END, INSERT_END] = TEXT_BLOCK_TOOLS.map((t) => t.terminator);

export const TOOL_DOCS: readonly ToolDoc[] = [
  {
    signature: 'open <path> [<line>]',
    docstring:
      'Opens the file at <path> and shows a 100-line window of it with line numbers. With <line>, the ' +
      'window is centred on that line. The open file is the one goto, scroll_*, edit, insert and search_file act on.',
  },
  { signature: 'goto <line>', docstring: 'Moves the window of the open file so that <line> is in the middle.' },
  { signature: 'scroll_down', docstring: 'Moves the window of the open file down by 100 lines.' },
  { signature: 'scroll_up', docstring: 'Moves the window of the open file up by 100 lines.' },
  {
    signature: 'create <path>',
    docstring: 'Creates a new empty file at <path> (an error if it exists) and opens it. Fill it with edit 1:1.',
  },
  {
    signature: `edit <start>:<end>\n<replacement text>\n${EDIT_END}`,
    docstring:
      'Replaces lines <start> to <end> (inclusive, numbered from 1) of the open file with the replacement ' +
      `text, which may span any number of lines and ends with a line holding only ${EDIT_END}. ` +
      'Write the text exactly as it should appear, with its full indentation. ' +
      'An empty replacement deletes the lines; <start> one past the last line appends. ' +
      'For Python files, an edit that introduces a syntax error or an undefined name is NOT applied: ' +
      'the errors are shown, and you must issue a corrected edit. After an edit, check the shown window.',
  },
  {
    signature: `insert <line>\n<text>\n${INSERT_END}`,
    docstring:
      `Inserts the text (ending with a line holding only ${INSERT_END}) after line <line> of the open file; ` +
      '0 inserts at the top. Python files are checked as for edit.',
  },
  { signature: 'state', docstring: 'Prints the open file and the current directory as JSON.' },
  {
    signature: 'search_dir <term> [<dir>]',
    docstring:
      'Lists the files under <dir> (default: the current directory) containing <term> (literal text, ' +
      'case-sensitive) with their numbers of matching lines. Skips hidden folders, binary files and files over 10 MB.',
  },
  {
    signature: 'search_file <term> [<file>]',
    docstring: 'Shows the numbered lines of <file> (default: the open file) containing <term> (literal text, case-sensitive).',
  },
  {
    signature: 'find_file <name> [<dir>]',
    docstring: 'Finds files called <name> under <dir> (default: the current directory); <name> may use wildcards: "*.py".',
  },
  {
    signature: `${LONG_RUN_PREFIX} <command>`,
    docstring:
      'Runs <command> with the long training timeout instead of the short command timeout. Use it for ' +
      'training and other slow commands: without it they are stopped after the short timeout.',
  },
  {
    signature: 'validate',
    docstring:
      "Scores your current submission with the task's evaluator and shows the metrics. Does not end the " +
      'episode: validate as often as useful.',
  },
  {
    signature: 'submit',
    docstring:
      'Scores your current submission for the last time and ends the episode. Call it once, when you are done.',
  },
];

/** The documentation as one text block: each signature, then its docstring indented below it. */
export function renderToolDocs(docs: readonly ToolDoc[] = TOOL_DOCS): string {
  return docs.map((d) => `${d.signature}\n    ${d.docstring}`).join('\n\n');
}

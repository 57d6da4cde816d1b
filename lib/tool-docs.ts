/**
 * The agent's tool documentation for the system prompt, in the layout of MLGym's command docs
 * (name, docstring, signature, arguments). It describes what tools/lib/mlgym.sh and
 * parseAgentCommand do, so the terminators and the long_run prefix come from agent-commands.
 */
import { LONG_RUN_PREFIX, TEXT_BLOCK_TOOLS } from './agent-commands';

/** MLGym's default agent: a 1000-line window, scrolls keep 2 lines of the previous view. */
export const DEFAULT_WINDOW = 1000;
export const DEFAULT_OVERLAP = 2;

export interface ToolArgument {
  name: string;
  type: 'string' | 'integer';
  required: boolean;
  description: string;
}

export interface ToolDoc {
  name: string;
  docstring: string;
  /** How to call it; multi-line for the tools that take a text block. */
  signature: string;
  arguments: ToolArgument[];
}

const [EDIT_END, INSERT_END] = TEXT_BLOCK_TOOLS.map((t) => t.terminator);

const required = (name: string, type: ToolArgument['type'], description: string): ToolArgument => ({ name, type, required: true, description });
const optional = (name: string, type: ToolArgument['type'], description: string): ToolArgument => ({ name, type, required: false, description });

/** The documented tools, in MLGym's order, then our long_run; `window`/`overlap` as the shell uses them. */
export function toolDocs(window: number = DEFAULT_WINDOW, overlap: number = DEFAULT_OVERLAP): ToolDoc[] {
  const step = window - overlap;
  return [
    {
      name: 'open',
      docstring:
        `shows the file at <path> in the viewer, ${window} numbered lines at a time, from the top. With ` +
        '<line_number>, the view moves so that this line appears about a sixth of the way down. A line number ' +
        'is refused for files over 20000 characters (read those with head or sed); images and directories cannot be opened',
      signature: 'open "<path>" [<line_number>]',
      arguments: [
        required('path', 'string', 'the file to show'),
        optional('line_number', 'integer', 'a line to bring into view (without it, the view starts at line 1)'),
      ],
    },
    {
      name: 'goto',
      docstring: 'moves the view of the open file so that <line_number> appears about a sixth of the way down',
      signature: 'goto <line_number>',
      arguments: [required('line_number', 'integer', 'the line to bring into view')],
    },
    {
      name: 'scroll_down',
      docstring: `moves the view of the open file ${step} lines down (the last ${overlap} lines of the previous view stay in view)`,
      signature: 'scroll_down',
      arguments: [],
    },
    {
      name: 'scroll_up',
      docstring: `moves the view of the open file ${step} lines up (the first ${overlap} lines of the previous view stay in view)`,
      signature: 'scroll_up',
      arguments: [],
    },
    {
      name: 'create',
      docstring:
        'creates a file holding one empty line and opens it, ready for edit 1:1. An existing file is left as it is ' +
        '(you get an error and the file is opened)',
      signature: 'create <filename>',
      arguments: [required('filename', 'string', 'the path of the new file')],
    },
    {
      name: 'search_dir',
      docstring:
        'lists the files under dir whose lines match search_term, a grep basic regular expression, with the number of ' +
        'matching lines in each; hidden files and folders and binary files are skipped. When more than 100 files ' +
        'match, none are listed: narrow the search',
      signature: 'search_dir <search_term> [<dir>]',
      arguments: [
        required('search_term', 'string', 'a grep basic regular expression'),
        optional('dir', 'string', 'the folder to search (the current directory when omitted)'),
      ],
    },
    {
      name: 'search_file',
      docstring: 'shows the numbered lines of file that match search_term, a grep basic regular expression',
      signature: 'search_file <search_term> [<file>]',
      arguments: [
        required('search_term', 'string', 'a grep basic regular expression'),
        optional('file', 'string', 'the file to search (the open file when omitted)'),
      ],
    },
    {
      name: 'find_file',
      docstring: 'lists the files under dir whose name matches file_name, a shell wildcard pattern such as "*.py"',
      signature: 'find_file <file_name> [<dir>]',
      arguments: [
        required('file_name', 'string', 'a file name or wildcard pattern'),
        optional('dir', 'string', 'the folder to search (the current directory when omitted)'),
      ],
    },
    {
      name: 'edit',
      docstring:
        'replaces lines <start_line> to <end_line> (both included) of the open file with the lines that follow the ' +
        `command, up to a line holding only ${EDIT_END}. Write every line exactly as it must appear, indentation ` +
        'included. An <end_line> past the end of the file replaces through the end, a <start_line> past the end ' +
        'appends, and no text deletes the lines. In a .py file, an edit that brings in a new flake8 error (a syntax ' +
        'or indentation error, an undefined name) is not applied: you see the errors, the code as the edit would have ' +
        'made it and as it still is. Fix the edit instead of sending the same one again',
      signature: `edit <start_line>:<end_line>\n<replacement_text>\n${EDIT_END}`,
      arguments: [
        required('start_line', 'integer', 'the first line to replace'),
        required('end_line', 'integer', 'the last line to replace'),
        required('replacement_text', 'string', 'the new lines'),
      ],
    },
    {
      name: 'insert',
      docstring:
        `adds the lines that follow the command, up to a line holding only ${INSERT_END}, after line <line_number> of ` +
        'the open file (0 adds them at the top). Write every line exactly as it must appear, indentation included. ' +
        'A .py file is checked as for edit: an insertion that brings in a new flake8 error is not applied',
      signature: `insert <line_number>\n<text_to_add>\n${INSERT_END}`,
      arguments: [required('line_number', 'integer', 'the line after which the text goes'), required('text_to_add', 'string', 'the new lines')],
    },
    {
      name: 'submit',
      docstring: 'scores your current submission one last time and ends the session; use it once, when you are done',
      signature: 'submit',
      arguments: [],
    },
    {
      name: 'validate',
      docstring: 'scores your current submission and shows the metrics without ending the session; use it as often as useful',
      signature: 'validate',
      arguments: [],
    },
    {
      name: LONG_RUN_PREFIX,
      docstring:
        "runs <command> with the task's training timeout. Commands that mention python, python3, torchrun, " +
        'accelerate or deepspeed get that timeout anyway; other commands are stopped after the short timeout unless ' +
        `you prefix them with ${LONG_RUN_PREFIX}`,
      signature: `${LONG_RUN_PREFIX} <command>`,
      arguments: [required('command', 'string', 'the command to run')],
    },
  ];
}

/** The docs as MLGym lays out its command docs: each command's block followed by a blank line. */
export function renderToolDocs(window: number = DEFAULT_WINDOW, overlap: number = DEFAULT_OVERLAP): string {
  return toolDocs(window, overlap).map(renderToolDoc).join('');
}

function renderToolDoc(doc: ToolDoc): string {
  const lines = [`${doc.name}:`, `  docstring: ${doc.docstring}`, `  signature: ${doc.signature}`];
  if (doc.arguments.length > 0) {
    lines.push('  arguments:');
    for (const arg of doc.arguments) {
      lines.push(`    - ${arg.name} (${arg.type}) [${arg.required ? 'required' : 'optional'}]: ${arg.description}`);
    }
  }
  return `${lines.join('\n')}\n\n`;
}

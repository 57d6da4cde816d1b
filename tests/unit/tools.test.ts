/**
 * The agent's tools (tools/lib/mlgym.sh) against MLGym's: every behaviour of MLGym's default agent
 * tools, with the input, MLGym's output and ours (acceptance point 2 of issue 9).
 *
 * Each session of TABLE runs the way MLGym runs its tools: ONE persistent `bash` that sourced the
 * tools, each command written to its stdin (the model's action turned into bash by parseAgentCommand)
 * and read up to an end marker, then `export LAST_ACTION=<command>` as MLGym's environment does. No
 * part of our command runner is involved.
 *
 * How the `mlgym` column was made: MLGym's tool files at commit 9d40c1b (tools/defaults.sh,
 * search.sh, edit_linting.sh, insert_linting.sh, submit.sh, validate.sh sourced; _split_string.py
 * on PATH as `_split_string`) in one bash per session, with the variables and the `state` command of
 * configs/agents/default.yaml (WINDOW=1000, OVERLAP=2, CURRENT_LINE=0, CURRENT_FILE=''), in the C
 * locale of MLGym's container, with jq 1.6, flake8 7.1.1 and Python 3.11; each action went through
 * MLGym's guard_multiline_input first. `{work}` stands for the session's working directory. Long
 * windows are written with view() and numberedMatches(), which reproduce MLGym's printed text byte
 * for byte (checked against the recorded output when the table was made).
 *
 * Our sessions run in the C.UTF-8 locale of our images: the tools must give MLGym's C-locale
 * results regardless (see the latin1.txt rows).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseAgentCommand } from '../../lib/agent-commands';
import { renderToolDocs, toolDocs } from '../../lib/tool-docs';

// `void`: the promises test() returns are awaited by the node:test runner, not here.

const TOOLS = resolve(__dirname, '../../tools/lib/mlgym.sh');
const NOBODY = 65534;

interface Step {
  /** The command block of the model's reply. */
  input: string;
  /** What MLGym's tools printed (stdout and stderr), `{work}` standing for the working directory. */
  mlgym: string;
}

interface Session {
  behaviour: string;
  /** Bash run in the working directory before the session (not part of the comparison). */
  setup: string;
  window?: number;
  /** Run as an unprivileged user, as the agent is: root may write read-only files. */
  unprivileged?: boolean;
  steps: Step[];
}

const SCROLL_WARNING =
  '\nWARNING: Scrolling many times in a row is very inefficient.\nIf you know what you are looking for, use `search_file <pattern>` instead.\n\n';

/** MLGym's window over a file whose line i reads `<prefix><i>`, showing lines first..last. */
function view(file: string, total: number, first: number, last: number, options: { prefix?: string; scrollWarning?: boolean } = {}): string {
  const prefix = options.prefix ?? 'line ';
  let text = `[File: {work}/${file} (${total} lines total)]\n`;
  if (first > 1) text += `(${first - 1} more lines above)\n`;
  for (let i = first; i <= last; i++) text += `${i}:${prefix}${i}\n`;
  if (last < total) text += `(${total - last} more lines below)\n`;
  return options.scrollWarning ? text + SCROLL_WARNING : text;
}

/** MLGym's search_file listing of lines 1..count of a file whose line i reads `line <i>`. */
function numberedMatches(term: string, file: string, count: number): string {
  let text = `Found ${count} matches for "${term}" in {work}/${file}:\n`;
  for (let i = 1; i <= count; i++) text += `Line ${i}:line ${i}\n`;
  return `${text}End of matches for "${term}" in {work}/${file}\n`;
}

const TABLE: Session[] = [
  {
    behaviour: 'open: usage, missing file, directory, image, a short file whole, a line number and its warnings',
    setup: `seq -f 'l%g' 1 5 > s.txt; mkdir sub; printf 'a\\nb' > nonl.txt; printf '\\x89PNG\\r\\n\\x1a\\n\\0\\0\\0\\rIHDR\\0\\0\\0\\1\\0\\0\\0\\1\\10\\6\\0\\0\\0\\x1f\\x15\\xc4\\x89' > img.png`,
    steps: [
      {
        input: `state`,
        mlgym: `{"open_file": "n/a", "working_dir": "{work}"}
`,
      },
      {
        input: `open`,
        mlgym: `Usage: open "<file>"
`,
      },
      {
        input: `open missing.txt`,
        mlgym: `File missing.txt not found
`,
      },
      {
        input: `open sub`,
        mlgym: `Error: sub is a directory. You can only open files. Use cd or ls to navigate directories.
`,
      },
      {
        input: `open img.png`,
        mlgym: `Error: img.png is an image file. Current environment does not support image viewing.
`,
      },
      {
        input: `open nonl.txt`,
        mlgym: `[File: {work}/nonl.txt (2 lines total)]
1:a
2:b
`,
      },
      {
        input: `open s.txt 3`,
        mlgym: `[File: {work}/s.txt (5 lines total)]
1:l1
2:l2
3:l3
4:l4
5:l5
`,
      },
      {
        input: `open s.txt abc`,
        mlgym: `Usage: open "<file>" [<line_number>]
Error: <line_number> must be a number
`,
      },
      {
        input: `open s.txt 99`,
        mlgym: `Warning: <line_number> (99) is greater than the number of lines in the file (5)
Warning: Setting <line_number> to 5
[File: {work}/s.txt (5 lines total)]
1:l1
2:l2
3:l3
4:l4
5:l5
`,
      },
      {
        input: `open s.txt 0`,
        mlgym: `Warning: <line_number> (0) is less than 1
Warning: Setting <line_number> to 1
[File: {work}/s.txt (5 lines total)]
1:l1
2:l2
3:l3
4:l4
5:l5
`,
      },
      {
        input: `state`,
        mlgym: `{"open_file": "{work}/s.txt", "working_dir": "{work}"}
`,
      },
    ],
  },
  {
    behaviour:
      'the 1000-line window: open, a line number over 20000 characters, goto a sixth from the top, scroll by WINDOW - OVERLAP, the warning from the third scroll in a row',
    setup: `seq -f 'line %g' 1 2500 > big.txt`,
    steps: [
      {
        input: `open big.txt 1200`,
        mlgym: `The file is larger than 20000 characters, please use 'head -n NUM_LINES' to open it
`,
      },
      { input: `open big.txt`, mlgym: view('big.txt', 2500, 1, 1000) },
      {
        input: `goto 3000`,
        mlgym: `Error: <line> must be less than or equal to 2500
`,
      },
      { input: `goto 1500`, mlgym: view('big.txt', 2500, 1335, 2334) },
      { input: `scroll_down`, mlgym: view('big.txt', 2500, 1501, 2500) },
      { input: `scroll_up`, mlgym: view('big.txt', 2500, 503, 1502) },
      { input: `scroll_up`, mlgym: view('big.txt', 2500, 1, 1000, { scrollWarning: true }) },
      { input: `scroll_up`, mlgym: view('big.txt', 2500, 1, 1000, { scrollWarning: true }) },
      { input: `goto 1`, mlgym: view('big.txt', 2500, 1, 1000) },
      { input: `scroll_down`, mlgym: view('big.txt', 2500, 999, 1998) },
    ],
  },
  {
    behaviour: 'WINDOW=10: goto/open placement, clamping at both ends of the file, scrolling',
    setup: `seq -f 'l%g' 1 20 > s.txt`,
    window: 10,
    steps: [
      {
        input: `goto 3`,
        mlgym: `No file open. Use the open command first.
`,
      },
      {
        input: `scroll_down`,
        mlgym: `No file open. Use the open command first.
`,
      },
      { input: `open s.txt`, mlgym: view('s.txt', 20, 1, 10, { prefix: 'l' }) },
      { input: `goto 9`, mlgym: view('s.txt', 20, 9, 18, { prefix: 'l' }) },
      { input: `goto 2`, mlgym: view('s.txt', 20, 2, 11, { prefix: 'l' }) },
      { input: `goto 20`, mlgym: view('s.txt', 20, 11, 20, { prefix: 'l' }) },
      { input: `open s.txt 14`, mlgym: view('s.txt', 20, 11, 20, { prefix: 'l' }) },
      { input: `scroll_up`, mlgym: view('s.txt', 20, 3, 12, { prefix: 'l' }) },
      { input: `scroll_up`, mlgym: view('s.txt', 20, 1, 10, { prefix: 'l' }) },
      { input: `scroll_up`, mlgym: view('s.txt', 20, 1, 10, { prefix: 'l', scrollWarning: true }) },
      { input: `scroll_down`, mlgym: view('s.txt', 20, 9, 18, { prefix: 'l', scrollWarning: true }) },
    ],
  },
  {
    behaviour: "WINDOW=7 (odd): CURRENT_LINE keeps MLGym's half lines",
    setup: `seq -f 'l%g' 1 20 > s.txt`,
    window: 7,
    steps: [
      { input: `open s.txt`, mlgym: view('s.txt', 20, 1, 7, { prefix: 'l' }) },
      {
        input: `echo $CURRENT_LINE`,
        mlgym: `3.5
`,
      },
      { input: `scroll_down`, mlgym: view('s.txt', 20, 6, 12, { prefix: 'l' }) },
      {
        input: `echo $CURRENT_LINE`,
        mlgym: `8.5
`,
      },
      { input: `goto 9`, mlgym: view('s.txt', 20, 8, 14, { prefix: 'l' }) },
      {
        input: `echo $CURRENT_LINE`,
        mlgym: `11
`,
      },
    ],
  },
  {
    behaviour: 'create a new file, an existing one, a directory; state; validate and submit markers',
    setup: `mkdir sub`,
    steps: [
      {
        input: `create`,
        mlgym: `Usage: create <filename>
`,
      },
      {
        input: `create new.py`,
        mlgym: `[File: {work}/new.py (1 lines total)]
1:
`,
      },
      {
        input: `state`,
        mlgym: `{"open_file": "{work}/new.py", "working_dir": "{work}"}
`,
      },
      {
        input: `cat -A new.py`,
        mlgym: `$
`,
      },
      {
        input: `create new.py`,
        mlgym: `Error: File 'new.py' already exists.
[File: {work}/new.py (1 lines total)]
1:
`,
      },
      {
        input: `create sub`,
        mlgym: `Error: File 'sub' already exists.
Error: sub is a directory. You can only open files. Use cd or ls to navigate directories.
`,
      },
      {
        input: `cd sub && state`,
        mlgym: `{"open_file": "{work}/new.py", "working_dir": "{work}/sub"}
`,
      },
      {
        input: `validate`,
        mlgym: `<<VALIDATION||
validating file
||VALIDATION>>
`,
      },
      {
        input: `submit`,
        mlgym: `<<SUBMISSION||
submitting file
||SUBMISSION>>
`,
      },
    ],
  },
  {
    behaviour:
      'edit ranges as bash array slicing: in range, end past EOF, start past EOF, end before start, delete, malformed ranges; the backup file next to the file',
    setup: `printf '1\\n2\\n3\\n4\\n5\\n6\\n7\\n8\\n' > a.txt; echo precious > backup_a.txt`,
    steps: [
      {
        input: `edit 1:1
x
end_of_edit`,
        mlgym: `No file open. Use the \`open\` command first.
`,
      },
      {
        input: `open a.txt`,
        mlgym: `[File: {work}/a.txt (8 lines total)]
1:1
2:2
3:3
4:4
5:5
6:6
7:7
8:8
`,
      },
      {
        input: `edit 2:3
B
C
C2
end_of_edit`,
        mlgym: `[File: {work}/a.txt (9 lines total)]
1:1
2:B
3:C
4:C2
5:4
6:5
7:6
8:7
9:8
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 5:99
tail
end_of_edit`,
        mlgym: `[File: {work}/a.txt (5 lines total)]
1:1
2:B
3:C
4:C2
5:tail
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 9:9
appended
end_of_edit`,
        mlgym: `[File: {work}/a.txt (6 lines total)]
1:1
2:B
3:C
4:C2
5:tail
6:appended
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 3:2
dup
end_of_edit`,
        mlgym: `[File: {work}/a.txt (7 lines total)]
1:1
2:B
3:dup
4:C
5:C2
6:tail
7:appended
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 2:2
end_of_edit`,
        mlgym: `[File: {work}/a.txt (6 lines total)]
1:1
2:dup
3:C
4:C2
5:tail
6:appended
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 
x
end_of_edit`,
        mlgym: `Usage: edit <start_line>:<end_line>
`,
      },
      {
        input: `edit 5
x
end_of_edit`,
        mlgym: `Usage: edit <start_line>:<end_line>
`,
      },
      {
        input: `edit a:3
x
end_of_edit`,
        mlgym: `Usage: edit <start_line>:<end_line>
Error: start_line must be a number
`,
      },
      {
        input: `edit 3:b
x
end_of_edit`,
        mlgym: `Usage: edit <start_line>:<end_line>
Error: end_line must be a number
`,
      },
      {
        input: `edit "a.txt" 7:25
zzz
end_of_edit`,
        mlgym: `Usage: edit <start_line>:<end_line>
`,
      },
      {
        input: `edit 1:2:3
q
end_of_edit`,
        mlgym: `[File: {work}/a.txt (5 lines total)]
1:q
2:C
3:C2
4:tail
5:appended
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 1:99
end_of_edit`,
        mlgym: `[File: {work}/a.txt (1 lines total)]
1:
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `cat -A a.txt; ls`,
        mlgym: `$
a.txt
`,
      },
    ],
  },
  {
    behaviour:
      "the flake8 gate: new errors block with MLGym's report, pre-existing errors shifted by the edit do not, an error inside the edited span does, non-Python files are not linted",
    setup: `printf 'def f(x):\\n    return x\\n' > m.py; printf 'a = missing\\nb = 1\\nc = also_missing\\n' > pre.py`,
    steps: [
      {
        input: `open m.py`,
        mlgym: `[File: {work}/m.py (2 lines total)]
1:def f(x):
2:    return x
`,
      },
      {
        input: `edit 2:2
    return undefined_thing
end_of_edit`,
        mlgym: `Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.

ERRORS:
- F821 undefined name 'undefined_thing'

This is how your edit would have looked if applied
-------------------------------------------------
[File: {work}/m.py (2 lines total)]
1:def f(x):
2:    return undefined_thing
-------------------------------------------------

This is the original code before your edit
-------------------------------------------------
[File: {work}/m.py (2 lines total)]
1:def f(x):
2:    return x
-------------------------------------------------
Your changes have NOT been applied. Please fix your edit command and try again.
You either need to 1) Specify the correct start/end line arguments or 2) Correct your edit code.
DO NOT re-run the same failed edit command. Running it again will lead to the same error.
`,
      },
      {
        input: `cat m.py`,
        mlgym: `def f(x):
    return x
`,
      },
      {
        input: `edit 3:3
  bad_indent = 1
end_of_edit`,
        mlgym: `Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.

ERRORS:
- E999 IndentationError: unindent does not match any outer indentation level

This is how your edit would have looked if applied
-------------------------------------------------
[File: {work}/m.py (3 lines total)]
1:def f(x):
2:    return x
3:  bad_indent = 1
-------------------------------------------------

This is the original code before your edit
-------------------------------------------------
[File: {work}/m.py (2 lines total)]
1:def f(x):
2:    return x
-------------------------------------------------
Your changes have NOT been applied. Please fix your edit command and try again.
You either need to 1) Specify the correct start/end line arguments or 2) Correct your edit code.
DO NOT re-run the same failed edit command. Running it again will lead to the same error.
`,
      },
      {
        input: `open pre.py`,
        mlgym: `[File: {work}/pre.py (3 lines total)]
1:a = missing
2:b = 1
3:c = also_missing
`,
      },
      {
        input: `edit 1:1
import os
import sys
end_of_edit`,
        mlgym: `[File: {work}/pre.py (4 lines total)]
1:import os
2:import sys
3:b = 1
4:c = also_missing
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `edit 2:2
a = still_missing
end_of_edit`,
        mlgym: `Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.

ERRORS:
- F821 undefined name 'still_missing'

This is how your edit would have looked if applied
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:import os
2:a = still_missing
3:b = 1
4:c = also_missing
-------------------------------------------------

This is the original code before your edit
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:import os
2:import sys
3:b = 1
4:c = also_missing
-------------------------------------------------
Your changes have NOT been applied. Please fix your edit command and try again.
You either need to 1) Specify the correct start/end line arguments or 2) Correct your edit code.
DO NOT re-run the same failed edit command. Running it again will lead to the same error.
`,
      },
      {
        input: `edit 4:4
c = also_missing  # still undefined
end_of_edit`,
        mlgym: `Your proposed edit has introduced new syntax error(s). Please read this error message carefully and then retry editing the file.

ERRORS:
- F821 undefined name 'also_missing'

This is how your edit would have looked if applied
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:import os
2:import sys
3:b = 1
4:c = also_missing  # still undefined
-------------------------------------------------

This is the original code before your edit
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:import os
2:import sys
3:b = 1
4:c = also_missing
-------------------------------------------------
Your changes have NOT been applied. Please fix your edit command and try again.
You either need to 1) Specify the correct start/end line arguments or 2) Correct your edit code.
DO NOT re-run the same failed edit command. Running it again will lead to the same error.
`,
      },
      {
        input: `cat pre.py`,
        mlgym: `import os
import sys
b = 1
c = also_missing
`,
      },
      {
        input: `create notes.txt`,
        mlgym: `[File: {work}/notes.txt (1 lines total)]
1:
`,
      },
      {
        input: `edit 1:1
def broken(:
end_of_edit`,
        mlgym: `[File: {work}/notes.txt (1 lines total)]
1:def broken(:
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
    ],
  },
  {
    behaviour: 'insert at the top, in the middle, past EOF; its lint gate (MLGym does not shift old errors for an insert)',
    setup: `printf 'a\\nb\\n' > t.txt; printf 'a = missing\\nb = 1\\nc = also_missing\\n' > pre.py`,
    steps: [
      {
        input: `insert 0
x
end_of_insert`,
        mlgym: `No file open. Use the \`open\` command first.
`,
      },
      {
        input: `open t.txt`,
        mlgym: `[File: {work}/t.txt (2 lines total)]
1:a
2:b
`,
      },
      {
        input: `insert 0
top
end_of_insert`,
        mlgym: `[File: {work}/t.txt (3 lines total)]
1:top
2:a
3:b
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `insert 2
middle
end_of_insert`,
        mlgym: `[File: {work}/t.txt (4 lines total)]
1:top
2:a
3:middle
4:b
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `insert 99
end
end_of_insert`,
        mlgym: `[File: {work}/t.txt (5 lines total)]
1:top
2:a
3:middle
4:b
5:end
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `insert`,
        mlgym: `Usage: insert <line_number>
`,
      },
      {
        input: `insert x
y
end_of_insert`,
        mlgym: `Usage: insert <line_number>
Error: line_number must be a number
`,
      },
      {
        input: `open pre.py`,
        mlgym: `[File: {work}/pre.py (3 lines total)]
1:a = missing
2:b = 1
3:c = also_missing
`,
      },
      {
        input: `insert 3
z = 3
end_of_insert`,
        mlgym: `[File: {work}/pre.py (4 lines total)]
1:a = missing
2:b = 1
3:c = also_missing
4:z = 3
File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary.
`,
      },
      {
        input: `insert 0
import json
end_of_insert`,
        mlgym: `Your proposed insertion has introduced new syntax error(s). Please read this error message carefully and then retry inserting into the file.

ERRORS:
- F821 undefined name 'missing'
- F821 undefined name 'also_missing'

This is how your insertion would have looked if applied
-------------------------------------------------
[File: {work}/pre.py (5 lines total)]
1:import json
2:a = missing
3:b = 1
4:c = also_missing
5:z = 3
-------------------------------------------------

This is the original code before your insertion
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:a = missing
2:b = 1
3:c = also_missing
4:z = 3
-------------------------------------------------
Your changes have NOT been applied. Please fix your insert command and try again.
You either need to 1) Specify the correct line number argument or 2) Correct your insertion code.
DO NOT re-run the same failed insert command. Running it again will lead to the same error.
`,
      },
      {
        input: `insert 1
print(undefined_y)
end_of_insert`,
        mlgym: `Your proposed insertion has introduced new syntax error(s). Please read this error message carefully and then retry inserting into the file.

ERRORS:
- F821 undefined name 'undefined_y'
- F821 undefined name 'also_missing'

This is how your insertion would have looked if applied
-------------------------------------------------
[File: {work}/pre.py (5 lines total)]
1:a = missing
2:print(undefined_y)
3:b = 1
4:c = also_missing
5:z = 3
-------------------------------------------------

This is the original code before your insertion
-------------------------------------------------
[File: {work}/pre.py (4 lines total)]
1:a = missing
2:b = 1
3:c = also_missing
4:z = 3
-------------------------------------------------
Your changes have NOT been applied. Please fix your insert command and try again.
You either need to 1) Specify the correct line number argument or 2) Correct your insertion code.
DO NOT re-run the same failed insert command. Running it again will lead to the same error.
`,
      },
    ],
  },
  {
    behaviour: 'read-only file and read-only folder (no room for the backup file)',
    setup: `echo keep > ro.txt; chmod 444 ro.txt; mkdir rodir; echo hi > rodir/f.txt; chmod 555 rodir`,
    unprivileged: true,
    steps: [
      {
        input: `open ro.txt`,
        mlgym: `[File: {work}/ro.txt (1 lines total)]
1:keep
`,
      },
      {
        input: `edit 1:1
no
end_of_edit`,
        mlgym: `Error: You cannot edit read-only file {work}/ro.txt
`,
      },
      {
        input: `insert 0
no
end_of_insert`,
        mlgym: `Error: You cannot edit read-only file {work}/ro.txt
`,
      },
      {
        input: `cat ro.txt`,
        mlgym: `keep
`,
      },
      {
        input: `open rodir/f.txt`,
        mlgym: `[File: {work}/rodir/f.txt (1 lines total)]
1:hi
`,
      },
      {
        input: `edit 1:1
no
end_of_edit`,
        mlgym: `Error: You cannot edit read-only file {work}/rodir/f.txt
`,
      },
      {
        input: `cat rodir/f.txt; ls rodir`,
        mlgym: `hi
f.txt
`,
      },
    ],
  },
  {
    behaviour: 'search_dir: grep basic regex, hidden and binary files skipped, more than 100 files refused, bytes matched in the C locale',
    setup: `mkdir -p src many .hid
printf 'def foo(a):\\n    return a\\n\\ndef bar(b):\\n    return b\\n' > src/one.py
printf 'x+y\\nxxy\\nabc\\na.c\\ndef baz():\\n  pass\\n' > src/two.py
echo hidden_word > .hid/h.txt; echo hidden_word > .dot.txt; echo hidden_word > visible.txt
echo secret > .hid/secret.py
printf 'abc\\n-n flag\\n' > three.txt
printf 'bin\\0ary abc\\n' > bin.dat
printf 'caf\\xe9 one\\n' > latin1.txt
for i in $(seq 1 120); do echo common > many/f$i.txt; done
seq -f 'line %g' 1 150 > big.txt`,
    steps: [
      {
        input: `search_dir`,
        mlgym: `Usage: search_dir <search_term> [<dir>]
`,
      },
      {
        input: `search_dir a b c`,
        mlgym: `Usage: search_dir <search_term> [<dir>]
`,
      },
      {
        input: `search_dir foo nodir`,
        mlgym: `Directory nodir not found
`,
      },
      {
        input: `search_dir 'def [a-z]*('`,
        mlgym: `Found 3 matches for "def [a-z]*(" in {work}:
{work}/src/one.py (2 matches)
{work}/src/two.py (1 matches)
End of matches for "def [a-z]*(" in {work}
`,
      },
      {
        input: `search_dir 'def [a-z]*(' src`,
        mlgym: `Found 3 matches for "def [a-z]*(" in {work}/src:
{work}/src/one.py (2 matches)
{work}/src/two.py (1 matches)
End of matches for "def [a-z]*(" in {work}/src
`,
      },
      {
        input: `search_dir 'x\\+y'`,
        mlgym: `Found 1 matches for "x\\+y" in {work}:
{work}/src/two.py (1 matches)
End of matches for "x\\+y" in {work}
`,
      },
      {
        input: `search_dir 'a.c'`,
        mlgym: `Found 3 matches for "a.c" in {work}:
{work}/src/two.py (2 matches)
{work}/three.txt (1 matches)
End of matches for "a.c" in {work}
`,
      },
      {
        input: `search_dir -n`,
        mlgym: `Found 1 matches for "-n" in {work}:
{work}/three.txt (1 matches)
End of matches for "-n" in {work}
`,
      },
      {
        input: `search_dir hidden_word`,
        mlgym: `Found 1 matches for "hidden_word" in {work}:
{work}/visible.txt (1 matches)
End of matches for "hidden_word" in {work}
`,
      },
      {
        input: `search_dir common many`,
        mlgym: `More than 120 files matched for "common" in {work}/many. Please narrow your search.
`,
      },
      {
        input: `search_dir common`,
        mlgym: `More than 120 files matched for "common" in {work}. Please narrow your search.
`,
      },
      {
        input: `search_dir nomatch_zzz`,
        mlgym: `No matches found for "nomatch_zzz" in {work}
`,
      },
      {
        input: `search_dir 'caf. one'`,
        mlgym: `Found 1 matches for "caf. one" in {work}:
{work}/latin1.txt (1 matches)
End of matches for "caf. one" in {work}
`,
      },
    ],
  },
  {
    behaviour: "search_file: grep basic regex in the open or a named file; MLGym's 100 limit counts file names, so 150 matching lines are all shown",
    setup: `mkdir -p src many .hid
printf 'def foo(a):\\n    return a\\n\\ndef bar(b):\\n    return b\\n' > src/one.py
printf 'x+y\\nxxy\\nabc\\na.c\\ndef baz():\\n  pass\\n' > src/two.py
echo hidden_word > .hid/h.txt; echo hidden_word > .dot.txt; echo hidden_word > visible.txt
echo secret > .hid/secret.py
printf 'abc\\n-n flag\\n' > three.txt
printf 'bin\\0ary abc\\n' > bin.dat
printf 'caf\\xe9 one\\n' > latin1.txt
for i in $(seq 1 120); do echo common > many/f$i.txt; done
seq -f 'line %g' 1 150 > big.txt`,
    steps: [
      {
        input: `search_file`,
        mlgym: `Usage: search_file <search_term> [<file>]
`,
      },
      {
        input: `search_file foo`,
        mlgym: `No file open. Use the open command first.
`,
      },
      {
        input: `open src/one.py`,
        mlgym: `[File: {work}/src/one.py (5 lines total)]
1:def foo(a):
2:    return a
3:
4:def bar(b):
5:    return b
`,
      },
      {
        input: `search_file 'def [a-z]*('`,
        mlgym: `Found 2 matches for "def [a-z]*(" in {work}/src/one.py:
Line 1:def foo(a):
Line 4:def bar(b):
End of matches for "def [a-z]*(" in {work}/src/one.py
`,
      },
      {
        input: `search_file 'ret.rn'`,
        mlgym: `Found 2 matches for "ret.rn" in {work}/src/one.py:
Line 2:    return a
Line 5:    return b
End of matches for "ret.rn" in {work}/src/one.py
`,
      },
      {
        input: `search_file zzz`,
        mlgym: `No matches found for "zzz" in {work}/src/one.py
`,
      },
      {
        input: `search_file def nofile.py`,
        mlgym: `Usage: search_file <search_term> [<file>]
Error: File name nofile.py not found. Please provide a valid file name.
`,
      },
      {
        input: `search_file 'x\\+y' src/two.py`,
        mlgym: `Found 1 matches for "x\\+y" in {work}/src/two.py:
Line 2:xxy
End of matches for "x\\+y" in {work}/src/two.py
`,
      },
      {
        input: `search_file 'caf. one' latin1.txt`,
        mlgym: `Found 1 matches for "caf. one" in {work}/latin1.txt:
Line 1:caf\xe9 one
End of matches for "caf. one" in {work}/latin1.txt
`,
      },
      { input: `search_file line big.txt`, mlgym: numberedMatches('line', 'big.txt', 150) },
    ],
  },
  {
    behaviour: 'find_file: find -name globs, hidden files included',
    setup: `mkdir -p src many .hid
printf 'def foo(a):\\n    return a\\n\\ndef bar(b):\\n    return b\\n' > src/one.py
printf 'x+y\\nxxy\\nabc\\na.c\\ndef baz():\\n  pass\\n' > src/two.py
echo hidden_word > .hid/h.txt; echo hidden_word > .dot.txt; echo hidden_word > visible.txt
echo secret > .hid/secret.py
printf 'abc\\n-n flag\\n' > three.txt
printf 'bin\\0ary abc\\n' > bin.dat
printf 'caf\\xe9 one\\n' > latin1.txt
for i in $(seq 1 120); do echo common > many/f$i.txt; done
seq -f 'line %g' 1 150 > big.txt`,
    steps: [
      {
        input: `find_file`,
        mlgym: `Usage: find_file <file_name> [<dir>]
`,
      },
      {
        input: `find_file a b c`,
        mlgym: `Usage: find_file <file_name> [<dir>]
`,
      },
      {
        input: `find_file x nodir`,
        mlgym: `Directory nodir not found
`,
      },
      {
        input: `find_file 'one.py' src`,
        mlgym: `Found 1 matches for "one.py" in {work}/src:
{work}/src/one.py
`,
      },
      {
        input: `find_file 't*.py'`,
        mlgym: `Found 1 matches for "t*.py" in {work}:
{work}/src/two.py
`,
      },
      {
        input: `find_file '*.zzz'`,
        mlgym: `No matches found for "*.zzz" in {work}
`,
      },
      {
        input: `find_file 'secret*'`,
        mlgym: `Found 1 matches for "secret*" in {work}:
{work}/.hid/secret.py
`,
      },
      {
        input: `find_file '?hree.txt'`,
        mlgym: `Found 1 matches for "?hree.txt" in {work}:
{work}/three.txt
`,
      },
    ],
  },
];

const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * One persistent bash that sourced the tools, driven through its stdin as MLGym drives its shell.
 * Output is read as latin1 so that any byte a file holds comes back as one character.
 */
class ToolShell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private output = Buffer.alloc(0);
  private wake: () => void = () => undefined;
  private readonly marker = `__tools_test_end_${process.pid}__`;

  private constructor(
    readonly work: string,
    options: { unprivileged?: boolean; path?: string },
  ) {
    const env = { HOME: work, LANG: 'C.UTF-8', PATH: options.path ?? process.env.PATH ?? '/usr/bin:/bin' };
    const asNobody = options.unprivileged === true && process.getuid?.() === 0;
    const [command, args] = asNobody ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash']] : ['bash', []];
    this.bash = spawn(command, args, { cwd: work, env });
    this.bash.stdout.on('data', (chunk: Buffer) => {
      this.output = Buffer.concat([this.output, chunk]);
      this.wake();
    });
  }

  /** A shell in a fresh working directory, set up and with the tools sourced; closed after the test. */
  static async open(t: { after: (fn: () => void) => void }, session: Omit<Session, 'steps' | 'behaviour'>, path?: string): Promise<ToolShell> {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'mlgym-tools-')));
    const work = join(root, 'work');
    mkdirSync(work);
    if (session.unprivileged) {
      chmodSync(root, 0o755);
      chmodSync(work, 0o777);
    }
    const shell = new ToolShell(work, { unprivileged: session.unprivileged, path });
    t.after(() => {
      shell.bash.stdin.end();
      rmSync(root, { recursive: true, force: true });
    });
    await shell.run(`exec 2>&1\nsource ${shellQuote(TOOLS)}`);
    if (session.window !== undefined) await shell.run(`WINDOW=${session.window}`);
    await shell.run(session.setup);
    return shell;
  }

  /** Runs one action as the model wrote it; then sets LAST_ACTION as MLGym's environment does. */
  async act(action: string): Promise<string> {
    const parsed = parseAgentCommand(action);
    if (parsed.kind === 'invalid') assert.fail(`not a command: ${action} (${parsed.error})`);
    // validate and submit are evaluations for the harness; in the shell they print MLGym's markers.
    const script = parsed.kind === 'shell' ? parsed.command : parsed.kind;
    const output = await this.run(script);
    await this.run(`export LAST_ACTION=${shellQuote(script)}`);
    return output;
  }

  run(script: string): Promise<string> {
    this.bash.stdin.write(`${script}\necho ${this.marker}\n`);
    const end = `${this.marker}\n`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bash did not finish: ${script}`)), 30_000);
      this.wake = () => {
        const text = this.output.toString('latin1');
        const at = text.indexOf(end);
        if (at === -1) return;
        clearTimeout(timer);
        this.output = this.output.subarray(at + end.length);
        resolve(text.slice(0, at));
      };
      this.wake();
    });
  }
}

for (const session of TABLE) {
  void test(`as MLGym: ${session.behaviour}`, async (t) => {
    const shell = await ToolShell.open(t, session);
    for (const step of session.steps) {
      const ours = await shell.act(step.input);
      assert.equal(ours, step.mlgym.replaceAll('{work}', shell.work), `input: ${step.input}`);
    }
  });
}

void test('sourcing the tools runs no program and only fills in variables that are unset', () => {
  // With an empty PATH any program started while sourcing would fail with "command not found".
  const bash = spawnSync('bash', ['-c', 'printf %s "$BASH"'], { encoding: 'utf8' }).stdout;
  const source = (preset: string) =>
    spawnSync(bash, ['--noprofile', '--norc', '-c', `${preset} source ${shellQuote(TOOLS)}; echo "$WINDOW $OVERLAP $CURRENT_LINE [$CURRENT_FILE]"`], {
      env: { PATH: '/nonexistent' },
      encoding: 'utf8',
    });
  assert.deepEqual([source('').stdout, source('').stderr], ['1000 2 0 []\n', '']);
  const kept = source('WINDOW=50 OVERLAP=0 CURRENT_LINE=7.5 CURRENT_FILE=/x;');
  assert.deepEqual([kept.stdout, kept.stderr], ['50 0 7.5 [/x]\n', '']);
});

void test('edit 0:N fails as in MLGym: bash refuses the slice, the file is unchanged, the backup stays', async (t) => {
  const shell = await ToolShell.open(t, { setup: "printf 'a\\nb\\n' > a.txt" });
  await shell.act('open a.txt');
  // MLGym: "<its file>: line 83: $start_line: substring expression < 0"; the location is the tool file's.
  assert.match(await shell.act('edit 0:1\nzero\nend_of_edit'), /: substring expression < 0\n$/);
  assert.equal(readFileSync(join(shell.work, 'a.txt'), 'utf8'), 'a\nb\n');
  assert.equal(readFileSync(join(shell.work, 'backup_a.txt'), 'utf8'), 'a\nb\n');
});

void test('the lint gate runs `python3 -m flake8` when no `flake8` command is on PATH', async (t) => {
  const python = spawnSync('python3', ['-c', 'import flake8, sys; print(sys.executable)'], { encoding: 'utf8' });
  assert.equal(python.status, 0, `flake8 must be installed (scripts/provision/python-tools.sh): ${python.stderr}`);
  // A PATH holding only what the edit needs: no flake8 there.
  const bin = mkdtempSync(join(tmpdir(), 'mlgym-tools-bin-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  symlinkSync(python.stdout.trim(), join(bin, 'python3'));
  for (const tool of ['bash', 'awk', 'grep', 'head', 'tail', 'realpath', 'cp', 'rm', 'cat']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  const shell = await ToolShell.open(t, { setup: "printf 'x = 1\\n' > m.py" }, bin);
  assert.equal(await shell.run('command -v flake8 || echo none'), 'none\n');
  await shell.act('open m.py');
  const refused = await shell.act('edit 1:1\nx = y\nend_of_edit');
  assert.match(refused, /^Your proposed edit has introduced new syntax error\(s\)\.[^]*\n- F821 undefined name 'y'\n/);
  assert.equal(readFileSync(join(shell.work, 'm.py'), 'utf8'), 'x = 1\n');
});

void test("the docs describe every tool the shell defines, in MLGym's layout, with the window they get", () => {
  const defined = spawnSync('bash', ['--noprofile', '--norc', '-c', `source ${shellQuote(TOOLS)}; compgen -A function`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((name) => name !== '' && !name.startsWith('_'));
  // `state` feeds the prompt's footer and MLGym does not document it; long_run is ours, handled by the harness.
  const documented = toolDocs().map((doc) => doc.name);
  assert.deepEqual([...documented.filter((name) => name !== 'long_run'), 'state'].sort(), defined.sort());

  const docs = renderToolDocs(100, 4);
  assert.ok(docs.startsWith('open:\n  docstring: shows the file at <path> in the viewer, 100 numbered lines at a time'), docs);
  assert.match(docs, /\nscroll_down:\n {2}docstring: moves the view of the open file 96 lines down[^\n]*\n {2}signature: scroll_down\n\n/);
  assert.match(
    docs,
    /\ngoto:\n {2}docstring: [^\n]+\n {2}signature: goto <line_number>\n {2}arguments:\n {4}- line_number \(integer\) \[required\]: [^\n]+\n\n/,
  );
  assert.match(docs, /\nedit:\n {2}docstring: [^\n]+\n {2}signature: edit <start_line>:<end_line>\n<replacement_text>\nend_of_edit\n {2}arguments:\n/);
  assert.match(docs, /\n {4}- dir \(string\) \[optional\]: /);
  assert.ok(docs.endsWith('  arguments:\n    - command (string) [required]: the command to run\n\n'));
  assert.match(renderToolDocs(), /1000 numbered lines at a time/);
});

// One of MLGym's published runs (see ../shared/fixtures/mlgym-checkout/SOURCE.md): its opens and
// edits, including an edit the lint gate refused, replayed on the files its own views show.
const PUBLISHED_RUN = resolve(
  __dirname,
  '../../../shared/fixtures/mlgym-checkout/trajectories',
  'metagen-claude-35-sonnet-new__battleOfSexes__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_1/battleOfSexes.traj',
);

void test("a published MLGym run's open and edit observations come out byte for byte", { skip: !existsSync(PUBLISHED_RUN) }, async (t) => {
  const { trajectory } = JSON.parse(readFileSync(PUBLISHED_RUN, 'utf8')) as { trajectory: { action: string; observation: string }[] };
  const fileFromView = (observation: string) =>
    observation
      .split('\n')
      .flatMap((line) => /^\d+:(.*)$/.exec(line)?.[1] ?? [])
      .join('\n') + '\n';
  const shell = await ToolShell.open(t, { setup: ': > target.py' });
  writeFileSync(join(shell.work, 'strategy.py'), fileFromView(trajectory[1].observation));
  writeFileSync(join(shell.work, 'evaluate.py'), fileFromView(trajectory[2].observation));
  for (const step of [2, 4, 5, 6]) {
    const { action, observation } = trajectory[step];
    const output = await shell.act(action);
    // MLGym drops empty lines from every observation; its workspace was /home/agent/workspace.
    const shown = output
      .split('\n')
      .filter((line) => line !== '')
      .join('\n');
    assert.equal(shown, observation.replaceAll('/home/agent/workspace', shell.work).replace(/\n+$/, ''), `step ${step + 1}: ${action}`);
  }
  assert.match(trajectory[4].observation, /^Your proposed edit has introduced new syntax error/);
});

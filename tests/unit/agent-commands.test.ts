import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentCommand } from '../../lib/agent-commands';

// `void`: the promises test() returns are awaited by the node:test runner, not here.

void test('validate and submit are recognised only as the whole action', () => {
  assert.deepEqual(parseAgentCommand('validate'), { kind: 'validate' });
  assert.deepEqual(parseAgentCommand('  submit \n'), { kind: 'submit' });
  assert.deepEqual(parseAgentCommand('echo submit'), { kind: 'shell', command: 'echo submit', long: false });
  assert.deepEqual(parseAgentCommand('submitted.sh'), { kind: 'shell', command: 'submitted.sh', long: false });
});

void test('validate or submit with anything after them is an error, not a shell command', () => {
  const r = parseAgentCommand('submit submission.csv');
  assert.equal(r.kind, 'invalid');
  assert.match(r.kind === 'invalid' ? r.error : '', /`submit` takes no arguments/);
  assert.equal(parseAgentCommand('validate\nls').kind, 'invalid');
});

void test('an empty action is invalid', () => {
  assert.deepEqual(parseAgentCommand(' \n '), { kind: 'invalid', error: 'The command is empty.' });
});

void test('ordinary commands pass through unchanged, CRLF normalised', () => {
  assert.deepEqual(parseAgentCommand('ls -la\r\ncat "a b.txt"'), {
    kind: 'shell',
    command: 'ls -la\ncat "a b.txt"',
    long: false,
  });
});

void test('an edit block becomes a quoted heredoc holding the text verbatim', () => {
  const r = parseAgentCommand('edit 10:12\n    x = "$HOME" `id` \\n\n\nend_of_edit');
  assert.deepEqual(r, {
    kind: 'shell',
    command: "edit 10:12 <<'end_of_edit'\n    x = \"$HOME\" `id` \\n\n\nend_of_edit",
    long: false,
  });
});

void test('an insert block becomes a heredoc; spaces around the opening and terminator are tolerated', () => {
  const r = parseAgentCommand('  insert 0\nimport os\nend_of_insert   ');
  assert.deepEqual(r, { kind: 'shell', command: "insert 0 <<'end_of_insert'\nimport os\nend_of_insert", long: false });
});

void test('an empty edit block (deleting lines) is allowed', () => {
  assert.deepEqual(parseAgentCommand('edit 3:4\nend_of_edit'), {
    kind: 'shell',
    command: "edit 3:4 <<'end_of_edit'\nend_of_edit",
    long: false,
  });
});

void test('blocks and plain commands can be mixed; each block is converted', () => {
  const r = parseAgentCommand('open a.py\nedit 1:1\na\nend_of_edit\ninsert 2\nb\nend_of_insert\npython a.py');
  assert.equal(r.kind, 'shell');
  assert.equal(
    r.kind === 'shell' ? r.command : '',
    "open a.py\nedit 1:1 <<'end_of_edit'\na\nend_of_edit\ninsert 2 <<'end_of_insert'\nb\nend_of_insert\npython a.py",
  );
});

void test('an edit that already uses a heredoc is left alone', () => {
  const command = "edit 1:2 <<'EOF'\nx\nEOF";
  assert.deepEqual(parseAgentCommand(command), { kind: 'shell', command, long: false });
});

void test('an edit or insert without its terminator is a clear error', () => {
  const edit = parseAgentCommand('edit 10:12\nnew line a\nnew line b');
  assert.equal(edit.kind, 'invalid');
  assert.match(edit.kind === 'invalid' ? edit.error : '', /`edit 10:12` is missing its closing `end_of_edit` line/);
  const insert = parseAgentCommand('insert 3\nx\nend_of_edit');
  assert.match(insert.kind === 'invalid' ? insert.error : '', /missing its closing `end_of_insert`/);
});

void test('long_run selects the training timeout and is removed from the command', () => {
  assert.deepEqual(parseAgentCommand('long_run python train.py --epochs 3'), {
    kind: 'shell',
    command: 'python train.py --epochs 3',
    long: true,
  });
  assert.deepEqual(parseAgentCommand('python train.py'), { kind: 'shell', command: 'python train.py', long: false });
  assert.deepEqual(parseAgentCommand('long_run\nedit 1:1\nx\nend_of_edit'), {
    kind: 'shell',
    command: "edit 1:1 <<'end_of_edit'\nx\nend_of_edit",
    long: true,
  });
});

void test('long_run without a command, or with validate/submit, is invalid', () => {
  assert.match(JSON.stringify(parseAgentCommand('long_run  ')), /needs a command/);
  assert.match(JSON.stringify(parseAgentCommand('long_run submit')), /cannot be combined with `long_run`/);
});

void test('a malformed opening still gets its block as stdin, so the text never runs as commands', () => {
  assert.deepEqual(parseAgentCommand('edit 5\nrm -rf data\nend_of_edit'), {
    kind: 'shell',
    command: "edit 5 <<'end_of_edit'\nrm -rf data\nend_of_edit",
    long: false,
  });
});

void test('lines that merely start with insert (SQL in a heredoc) are not tool blocks', () => {
  const command = "sqlite3 db.sqlite <<'SQL'\ninsert into t values (1);\nSQL";
  assert.deepEqual(parseAgentCommand(command), { kind: 'shell', command, long: false });
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseAgentCommand } from '../../lib/agent-commands';
import { MALFORMED_EDIT_OBSERVATION } from '../../lib/mlgym-env';

// `void`: the promises test() returns are awaited by the node:test runner, not here.

const shell = (command: string, long = false) => ({ kind: 'shell', command, long });

void test('exactly validate or submit is an evaluation; with more around them they run in the shell', () => {
  assert.deepEqual(parseAgentCommand('validate'), { kind: 'validate' });
  assert.deepEqual(parseAgentCommand('  submit \n'), { kind: 'submit' });
  // As in MLGym, the tools print markers in the output, and the harness evaluates when it sees them.
  assert.deepEqual(parseAgentCommand('submit submission.csv'), shell('submit submission.csv'));
  assert.deepEqual(parseAgentCommand('python train.py && validate'), shell('python train.py && validate'));
  assert.deepEqual(parseAgentCommand('submitted.sh'), shell('submitted.sh'));
});

void test('an empty action is invalid', () => {
  assert.deepEqual(parseAgentCommand(' \n '), { kind: 'invalid', error: 'The command is empty.' });
});

void test('ordinary commands pass through unchanged, CRLF normalised', () => {
  assert.deepEqual(parseAgentCommand('ls -la\r\ncat "a b.txt"'), shell('ls -la\ncat "a b.txt"'));
});

void test("an edit block becomes a quoted heredoc, as MLGym's guard writes it, holding the text verbatim", () => {
  assert.deepEqual(
    parseAgentCommand('edit 10:12\n    x = "$HOME" `id` \\n\n\nend_of_edit'),
    shell('edit 10:12 << \'end_of_edit\'\n    x = "$HOME" `id` \\n\n\nend_of_edit'),
  );
  assert.deepEqual(parseAgentCommand('insert 0\nimport os\nend_of_insert'), shell("insert 0 << 'end_of_insert'\nimport os\nend_of_insert"));
  assert.deepEqual(parseAgentCommand('edit 3:4\nend_of_edit'), shell("edit 3:4 << 'end_of_edit'\nend_of_edit"));
});

void test('the terminator may carry trailing blanks (dropped for bash); an indented one is text', () => {
  assert.deepEqual(parseAgentCommand('edit 1:1\n  end_of_edit\nend_of_edit  '), shell("edit 1:1 << 'end_of_edit'\n  end_of_edit\nend_of_edit"));
});

void test('blocks and plain commands can be mixed; each block is converted', () => {
  assert.deepEqual(
    parseAgentCommand('open a.py\nedit 1:1\na\nend_of_edit\n  insert 2\nb\nend_of_insert\npython a.py'),
    shell("open a.py\nedit 1:1 << 'end_of_edit'\na\nend_of_edit\n  insert 2 << 'end_of_insert'\nb\nend_of_insert\npython a.py"),
  );
});

void test('a block the model already wrote as a heredoc is left alone', () => {
  const command = "edit 1:2 << 'end_of_edit'\nx\nend_of_edit";
  assert.deepEqual(parseAgentCommand(command), shell(command));
});

void test('any line starting with the tool name opens a block, whatever its arguments, as in MLGym', () => {
  // The tool then prints its usage; the text stays on stdin and never runs as commands.
  assert.deepEqual(parseAgentCommand('edit 5\nrm -rf data\nend_of_edit'), shell("edit 5 << 'end_of_edit'\nrm -rf data\nend_of_edit"));
  assert.deepEqual(parseAgentCommand('edit "strategy.py" 7:25\nx\nend_of_edit'), shell('edit "strategy.py" 7:25 << \'end_of_edit\'\nx\nend_of_edit'));
  assert.deepEqual(parseAgentCommand('edit_notes\nx\nend_of_edit'), shell("edit_notes << 'end_of_edit'\nx\nend_of_edit"));
});

void test("an edit s:e without end_of_edit gets MLGym's malformed-edit answer", () => {
  assert.deepEqual(parseAgentCommand('edit 10:12\nnew line a\nnew line b'), { kind: 'invalid', error: MALFORMED_EDIT_OBSERVATION });
  assert.deepEqual(parseAgentCommand('edit 5:26\n'), { kind: 'invalid', error: MALFORMED_EDIT_OBSERVATION });
});

void test('any other valid call without its terminator is refused, so its text never runs as commands', () => {
  const insert = parseAgentCommand('insert 3\nx\nend_of_edit');
  assert.equal(insert.kind, 'invalid');
  assert.match(insert.kind === 'invalid' ? insert.error : '', /^`insert 3` is missing its closing `end_of_insert` line/);
  const edit = parseAgentCommand('cd src\nedit 1:2\nx');
  assert.match(edit.kind === 'invalid' ? edit.error : '', /^`edit 1:2` is missing its closing `end_of_edit` line/);
});

void test('calls with bad arguments and no terminator run: the tool prints its usage, as in MLGym', () => {
  assert.deepEqual(parseAgentCommand('insert\nfoo'), shell('insert\nfoo'));
  assert.deepEqual(parseAgentCommand('edit\nfoo'), shell('edit\nfoo'));
});

void test('lines that merely start with insert (SQL in a heredoc) are not tool calls', () => {
  const command = "sqlite3 db.sqlite <<'SQL'\ninsert into t values (1);\nSQL";
  assert.deepEqual(parseAgentCommand(command), shell(command));
});

void test('long_run selects the training timeout and is removed from the command', () => {
  assert.deepEqual(parseAgentCommand('long_run python train.py --epochs 3'), shell('python train.py --epochs 3', true));
  assert.deepEqual(parseAgentCommand('python train.py'), shell('python train.py'));
  assert.deepEqual(parseAgentCommand('long_run\nedit 1:1\nx\nend_of_edit'), shell("edit 1:1 << 'end_of_edit'\nx\nend_of_edit", true));
});

void test('long_run without a command, or with validate/submit, is invalid', () => {
  assert.match(JSON.stringify(parseAgentCommand('long_run  ')), /needs a command/);
  assert.match(JSON.stringify(parseAgentCommand('long_run submit')), /cannot be combined with `long_run`/);
});

// MLGym's published runs (see ../shared/fixtures/mlgym-checkout/SOURCE.md): real model actions and
// what MLGym made of them.
const PUBLISHED_RUNS = resolve(__dirname, '../../../shared/fixtures/mlgym-checkout/trajectories');

void test("every action of MLGym's published runs is accepted or refused as MLGym did", { skip: !existsSync(PUBLISHED_RUNS) }, () => {
  let actions = 0;
  let blocks = 0;
  for (const run of readdirSync(PUBLISHED_RUNS)) {
    const traj = readdirSync(join(PUBLISHED_RUNS, run)).find((name) => name.endsWith('.traj'));
    if (!traj) continue;
    const { trajectory } = JSON.parse(readFileSync(join(PUBLISHED_RUNS, run, traj), 'utf8')) as { trajectory: { action: string; observation: string }[] };
    for (const { action, observation } of trajectory) {
      actions += 1;
      const parsed = parseAgentCommand(action);
      if (observation === MALFORMED_EDIT_OBSERVATION) {
        assert.deepEqual(parsed, { kind: 'invalid', error: MALFORMED_EDIT_OBSERVATION }, action);
        continue;
      }
      assert.notEqual(parsed.kind, 'invalid', `${run}: ${action}`);
      if (/^end_of_(edit|insert)\s*$/m.test(action)) {
        blocks += 1;
        assert.match(parsed.kind === 'shell' ? parsed.command : '', /^\s*(edit|insert)\b.* << 'end_of_(edit|insert)'$/m, action);
      }
    }
  }
  assert.ok(actions > 600 && blocks > 250, `${actions} actions, ${blocks} blocks`);
});

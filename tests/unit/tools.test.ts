/**
 * Runs the real sandbox tools (tools/bin) the way the harness does: each action is parsed with
 * parseAgentCommand and run as a fresh `bash -c` with tools/bin on PATH and HOME set to the agent's home.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseAgentCommand } from '../../lib/agent-commands';
import { TOOL_DOCS, renderToolDocs } from '../../lib/tool-docs';

// `void`: the promises test() returns are awaited by the node:test runner, not here.

const TOOLS_BIN = resolve(__dirname, '../../tools/bin');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'mlgym-tools-'));
  const home = join(root, 'home');
  const work = join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: `${TOOLS_BIN}:${process.env.PATH}` };
  delete env.MLGYM_STATE; // the default location under HOME is part of what is tested
  const run = (action: string): Run => {
    const parsed = parseAgentCommand(action);
    if (parsed.kind !== 'shell') throw new Error(`not a shell action: ${JSON.stringify(parsed)}`);
    const r = spawnSync('bash', ['-c', parsed.command], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const file = (name: string) => join(work, name);
  const write = (name: string, text: string) => writeFileSync(file(name), text);
  const read = (name: string) => readFileSync(file(name), 'utf8');
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  return { home, work, run, file, write, read, cleanup };
}

const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

/** The numbers of the lines shown in a window. */
const shownLines = (out: string) => [...out.matchAll(/^(\d+):/gm)].map((m) => Number(m[1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

void test('open shows a 100-line window with a header, line numbers and the lines left out', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('a.txt', numbered(250));
  const r = s.run('open a.txt');
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  const out = r.stdout.split('\n');
  assert.equal(out[0], `[File: ${s.file('a.txt')} (250 lines total)]`);
  assert.equal(out[1], '1:line 1');
  assert.equal(out[100], '100:line 100');
  assert.equal(out[101], '(150 more lines below)');
  assert.doesNotMatch(r.stdout, /more lines above/);
  assert.deepEqual(shownLines(r.stdout), range(1, 100));

  const centred = s.run('open a.txt 120');
  assert.deepEqual(shownLines(centred.stdout), range(70, 169));
  assert.match(centred.stdout, /^\(69 more lines above\)$/m);
  assert.match(centred.stdout, /^\(81 more lines below\)$/m);
});

void test('goto, scroll_down and scroll_up move the window and it stays inside the file', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('a.txt', numbered(250));
  s.run('open a.txt');
  assert.deepEqual(shownLines(s.run('goto 200').stdout), range(150, 249));
  assert.deepEqual(shownLines(s.run('goto 250').stdout), range(151, 250));
  const end = s.run('scroll_down');
  assert.deepEqual(shownLines(end.stdout), range(151, 250));
  assert.match(end.stdout, /\(already at the end of the file\)\n$/);
  assert.doesNotMatch(end.stdout, /more lines below/);
  assert.deepEqual(shownLines(s.run('scroll_up').stdout), range(51, 150));
  assert.deepEqual(shownLines(s.run('scroll_up').stdout), range(1, 100));
  assert.match(s.run('scroll_up').stdout, /\(already at the top of the file\)/);
  assert.deepEqual(shownLines(s.run('scroll_down').stdout), range(101, 200));
  // A fresh process picks up where the last one left off: the state lives in $HOME.
  const saved = JSON.parse(readFileSync(join(s.home, '.mlgym_state.json'), 'utf8'));
  assert.deepEqual(saved, { open_file: s.file('a.txt'), first_line: 101 });
});

void test('state prints the open file and the working directory as JSON', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  assert.deepEqual(JSON.parse(s.run('state').stdout), { open_file: null, working_dir: s.work });
  s.write('a.txt', 'x\n');
  mkdirSync(s.file('sub'));
  s.run('open a.txt');
  assert.deepEqual(JSON.parse(s.run('cd sub && state').stdout), { open_file: s.file('a.txt'), working_dir: s.file('sub') });
  // A state file the agent clobbered means "nothing open", not a crash.
  writeFileSync(join(s.home, '.mlgym_state.json'), '{not json');
  assert.deepEqual(JSON.parse(s.run('state').stdout), { open_file: null, working_dir: s.work });
});

void test('create makes an empty file, opens it, and refuses an existing one', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  const r = s.run('create new/model.py');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `[File: ${s.file('new/model.py')} (0 lines total)]\n(this file is empty)\n`);
  assert.equal(s.read('new/model.py'), '');
  assert.equal(JSON.parse(s.run('state').stdout).open_file, s.file('new/model.py'));

  const again = s.run('create new/model.py');
  assert.equal(again.code, 1);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /already exists/);
});

void test('edit fills a new file and replaces a range with text taken literally', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.run('create notes.txt');
  const first = s.run('edit 1:1\nalpha\nbeta\ngamma\nend_of_edit');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(s.read('notes.txt'), 'alpha\nbeta\ngamma\n');
  assert.match(first.stdout, /^1:alpha\n2:beta\n3:gamma\nFile updated/m);

  const second = s.run('edit 2:3\n  $HOME `whoami` \\t "q"\n\nend_of_edit');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(s.read('notes.txt'), 'alpha\n  $HOME `whoami` \\t "q"\n\n');
  assert.match(second.stdout, /\[File: .*notes\.txt \(3 lines total\)\]\n1:alpha\n2: {2}\$HOME `whoami` \\t "q"\n3:\n/);

  assert.equal(s.run('edit 2:3\nend_of_edit').code, 0);
  assert.equal(s.read('notes.txt'), 'alpha\n');
  assert.equal(s.run('edit 2:2\nomega\nend_of_edit').code, 0, 'one past the end appends');
  assert.equal(s.read('notes.txt'), 'alpha\nomega\n');
});

void test('after an edit the window stays put when the edit is inside it, else moves to the edit', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('a.txt', numbered(300));
  s.run('open a.txt 150');
  assert.deepEqual(shownLines(s.run('edit 120:121\nx\nend_of_edit').stdout), range(100, 199));
  assert.deepEqual(shownLines(s.run('edit 280:280\ny\nend_of_edit').stdout), range(200, 299));
});

const GOOD_PY = 'import os\n\n\ndef path(x):\n    return os.path.join(x, "a")\n';

function assertRejected(s: ReturnType<typeof sandbox>, r: Run, error: RegExp, proposedLine: string) {
  assert.equal(r.code, 1);
  assert.equal(s.read('m.py'), GOOD_PY, 'the file is unchanged');
  assert.match(r.stdout, /Your edit was NOT applied/);
  assert.match(r.stdout, error);
  const [proposed, original] = r.stdout.split('This is the original code');
  assert.ok(proposed.includes(`5:${proposedLine}\n`), 'shows the window as it would have been');
  assert.ok(original.includes('5:    return os.path.join(x, "a")\n'), 'shows the original lines');
  assert.match(r.stdout, /Fix the errors and run your edit command again/);
}

void test('a Python edit that introduces a syntax error is reverted and explained', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('m.py', GOOD_PY);
  s.run('open m.py');
  const r = s.run('edit 5:5\n    return os.path.join(x, "a"\nend_of_edit');
  assertRejected(s, r, /^- line 5: SyntaxError: '\(' was never closed$/m, '    return os.path.join(x, "a"');
  const indent = s.run('edit 5:5\n  return 1\n      return 2\nend_of_edit');
  assert.equal(indent.code, 1);
  assert.match(indent.stdout, /IndentationError/);
  assert.equal(s.read('m.py'), GOOD_PY);
});

void test('a Python edit that introduces an undefined name is reverted and explained', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('m.py', GOOD_PY);
  s.run('open m.py');
  const r = s.run('edit 5:5\n    return os.path.join(x, undefined_thing)\nend_of_edit');
  assertRejected(s, r, /^- line 5: undefined name 'undefined_thing'$/m, '    return os.path.join(x, undefined_thing)');
  // Deleting the import leaves `os` undefined: also refused.
  const dropImport = s.run('edit 1:1\nend_of_edit');
  assert.equal(dropImport.code, 1);
  assert.match(dropImport.stdout, /undefined name 'os'/);
  assert.equal(s.read('m.py'), GOOD_PY);
});

void test('problems the Python file already had do not block an unrelated edit', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('m.py', 'def f():\n    return missing\n');
  s.run('open m.py');
  const r = s.run('insert 0\n"""Module doc."""\nend_of_insert');
  assert.equal(r.code, 0, r.stdout);
  assert.equal(s.read('m.py'), '"""Module doc."""\ndef f():\n    return missing\n');
});

void test('non-Python files are never checked', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('a.txt', 'x\n');
  s.run('open a.txt');
  assert.equal(s.run('edit 1:1\ndef broken(:\nend_of_edit').code, 0);
  assert.equal(s.read('a.txt'), 'def broken(:\n');
});

void test('insert adds lines after the given line, 0 meaning the top', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('m.py', GOOD_PY);
  s.run('open m.py');
  const top = s.run('insert 0\nimport sys\nend_of_insert');
  assert.equal(top.code, 0, top.stdout);
  assert.match(top.stdout, /^1:import sys\n2:import os\n/m);
  const middle = s.run('insert 5\n    """Joins."""\nend_of_insert');
  assert.equal(middle.code, 0, middle.stdout);
  assert.equal(s.read('m.py'), 'import sys\nimport os\n\n\ndef path(x):\n    """Joins."""\n    return os.path.join(x, "a")\n');
  const bad = s.run('insert 7\nprint(nope)\nend_of_insert');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /undefined name 'nope'/);
  assert.match(s.run('insert 9\nx\nend_of_insert').stderr, /insert: line 9 is out of range: insert after a line from 0 to 7/);
});

void test('search_dir lists files with match counts and caps long listings', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  mkdirSync(s.file('src/sub'), { recursive: true });
  mkdirSync(s.file('.git'));
  s.write('src/a.py', 'model = fit()\n');
  s.write('src/sub/b.py', 'x\nmodel\nmodel model\n');
  s.write('.git/config', 'model\n');
  s.write('src/data.bin', 'model\0\n');
  const r = s.run('search_dir model src');
  assert.equal(
    r.stdout,
    'Found 3 matches for "model" in src (2 files):\nsrc/a.py (1 matches)\nsrc/sub/b.py (2 matches)\nEnd of matches for "model" in src\n',
  );
  assert.doesNotMatch(s.run('search_dir model').stdout, /\.git/);
  assert.equal(s.run('search_dir absent_term').stdout, 'No matches found for "absent_term" in .\n');

  mkdirSync(s.file('many'));
  for (let i = 0; i < 105; i++) s.write(`many/f${String(i).padStart(3, '0')}.txt`, 'needle\n');
  const many = s.run('search_dir needle many');
  assert.match(many.stdout, /^Found 105 matches for "needle" in many \(105 files\):$/m);
  assert.equal((many.stdout.match(/^many\/f\d+\.txt \(1 matches\)$/gm) ?? []).length, 100);
  assert.match(many.stdout, /^\.\.\. and 5 more files; use a more specific term or directory\.$/m);
});

void test('search_file shows numbered matching lines of a file or of the open file', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('b.py', 'x = 1\nmodel.fit(x)\ny = model\n');
  assert.equal(
    s.run('search_file "model.fit(" b.py').stdout,
    `Found 1 matches for "model.fit(" in ${s.file('b.py')}:\nLine 2: model.fit(x)\nEnd of matches for "model.fit(" in ${s.file('b.py')}\n`,
  );
  s.run('open b.py');
  assert.match(s.run('search_file model').stdout, /^Line 2: model\.fit\(x\)\nLine 3: y = model\n/m);
  assert.equal(s.run('search_file Model').stdout, `No matches found for "Model" in ${s.file('b.py')}\n`);
});

void test('find_file matches names with wildcards', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  mkdirSync(s.file('src/sub'), { recursive: true });
  s.write('src/a.py', '');
  s.write('src/sub/b.py', '');
  s.write('src/sub/notes.md', '');
  assert.equal(s.run('find_file "*.py"').stdout, 'Found 2 files named "*.py" in .:\n./src/a.py\n./src/sub/b.py\n');
  assert.equal(s.run('find_file b.py src').stdout, 'Found 1 files named "b.py" in src:\nsrc/sub/b.py\n');
  assert.equal(s.run('find_file x.cpp').stdout, 'No files named "x.cpp" found in .\n');
});

void test('usage errors go to stderr with exit code 1', (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  s.write('a.txt', numbered(10));
  const cases: Array<[string, RegExp]> = [
    ['open', /^open: usage: open <path> \[<line>\]$/],
    ['open missing.txt', /^open: file .*missing\.txt not found$/],
    ['open .', /is a directory/],
    ['goto 3', /^goto: no file is open; use `open <path>` first$/],
    ['scroll_down', /no file is open/],
    ['search_file x', /no file is open/],
    ['edit 1:1\nx\nend_of_edit', /^edit: no file is open/],
    ['open a.txt 11', /^open: line 11 is out of range: the file has 10 lines$/],
    ['open a.txt 0', /line 0 is out of range/],
    ['open a.txt abc', /^open: line must be an integer, got 'abc'$/],
    ['state now', /^state: usage: state$/],
    ['search_dir', /usage: search_dir <term> \[<dir>\]/],
    ['search_dir "" .', /the search term must not be empty/],
    ['search_dir x nodir', /directory nodir not found/],
    ['find_file', /usage: find_file <name> \[<dir>\]/],
  ];
  for (const [action, stderr] of cases) {
    const r = s.run(action);
    assert.equal(r.code, 1, action);
    assert.equal(r.stdout, '', action);
    assert.match(r.stderr.trim(), stderr, action);
  }
  s.run('open a.txt');
  const afterOpen: Array<[string, RegExp]> = [
    ['goto 11', /^goto: line 11 is out of range: the file has 10 lines$/],
    ['edit 5\nx\nend_of_edit', /^edit: usage: edit <start>:<end>/],
    ['edit 3:2\nx\nend_of_edit', /start must not exceed end/],
    ['edit 5:12\nx\nend_of_edit', /^edit: range 5:12 is outside the file, which has 10 lines$/],
    ['edit 12:12\nx\nend_of_edit', /outside the file/],
    ['insert -1\nx\nend_of_insert', /out of range/],
  ];
  for (const [action, stderr] of afterOpen) {
    const r = s.run(action);
    assert.equal(r.code, 1, action);
    assert.match(r.stderr.trim(), stderr, action);
  }
});

void test('every tool in tools/bin is documented, and every documented command exists', () => {
  const documented = TOOL_DOCS.map((d) => d.signature.split(/\s/, 1)[0]);
  const harnessCommands = ['long_run', 'validate', 'submit'];
  assert.deepEqual(
    [...documented].sort(),
    [...readdirSync(TOOLS_BIN), ...harnessCommands].sort(),
  );
  const text = renderToolDocs();
  assert.match(text, /^edit <start>:<end>\n<replacement text>\nend_of_edit\n {4}Replaces lines/m);
  assert.match(text, /^insert <line>\n<text>\nend_of_insert\n {4}Inserts/m);
});

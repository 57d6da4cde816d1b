/**
 * The game-theory tasks (battleOfSexes, prisonersDilemma, blotto): their task.yaml is valid, every
 * file it names exists, the evaluator reproduces the recorded baseline score when laid out as the
 * harness lays it out, the demo trajectory's edit really improves on the baseline, and a submission
 * cannot fake its score.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TaskConfig, describeIssues } from '../../lib/task-config';

const TASKS_DIR = join(__dirname, '..', '..', 'tasks');
const GAME_TASKS = ['battleOfSexes', 'prisonersDilemma', 'blotto'] as const;
const EVAL_TIMEOUT_MS = 120_000;
/**
 * The shared evaluator files of the game tasks: the match engine and the untrusted-child runner
 * it uses. Each task folder links to them (tasks/_shared is no task).
 */
const SHARED_FILES = ['match_engine.py', 'untrusted_child.py'] as const;
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function loadTask(id: string): TaskConfig {
  const raw: unknown = parseYaml(readFileSync(join(TASKS_DIR, id, 'task.yaml'), 'utf8'));
  const parsed = TaskConfig.safeParse(raw);
  if (!parsed.success) assert.fail(`${id}/task.yaml is invalid:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), EVAL_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The metrics as the harness reads them: the last JSON object printed on stdout. */
function lastJsonObject(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/**
 * Lays out a fresh evaluation directory as the harness does (the task's trusted evaluation and
 * support files, its hidden files, and the submission at submission_path), runs the evaluation
 * command there and returns the result. The directory is world-readable, like a shared path.
 * `submission` may be a function of the directory, for submissions that target it.
 */
async function evaluate(id: string, submission: string | ((dir: string) => string)): Promise<RunResult & { dir: string }> {
  const task = loadTask(id);
  const taskDir = join(TASKS_DIR, id);
  const dir = mkdtempSync(join(tmpdir(), `eval-${id}-`));
  tempDirs.push(dir);
  chmodSync(dir, 0o755);
  for (const rel of [...task.evaluation_paths, ...task.evaluator_support_paths, ...task.hidden_files]) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    // Follows symlinks (match_engine.py), as the harness does: the copy is a plain file.
    copyFileSync(join(taskDir, rel), join(dir, rel));
  }
  writeFileSync(join(dir, task.submission_path), typeof submission === 'string' ? submission : submission(dir));
  const result = await run(task.evaluation_command, dir);
  return { ...result, dir };
}

function score(result: RunResult): number {
  assert.equal(result.code, 0, `evaluation failed:\n${result.stderr}`);
  const metrics = lastJsonObject(result.stdout);
  assert.ok(metrics && typeof metrics.Score === 'number', `no Score in stdout: ${result.stdout}`);
  return metrics.Score as number;
}

interface DemoStep {
  response: string;
}

function demoCommands(id: string): string[] {
  const demo = JSON.parse(readFileSync(join(TASKS_DIR, id, 'demo.traj'), 'utf8')) as { trajectory: DemoStep[] };
  assert.ok(Array.isArray(demo.trajectory) && demo.trajectory.length > 0);
  return demo.trajectory.map((step, index) => {
    assert.equal(typeof step.response, 'string');
    assert.match(step.response, /^DISCUSSION\n\S/, `step ${index} starts with a DISCUSSION paragraph`);
    const blocks = [...step.response.matchAll(/```[^\n]*\n([\s\S]*?)\n```/g)];
    assert.equal(blocks.length, 1, `step ${index} holds exactly one fenced command`);
    return blocks[0][1];
  });
}

/** Applies the demo's `edit <start>:<end>` commands to the baseline strategy (MLGym semantics). */
function improvedStrategy(id: string): string {
  const task = loadTask(id);
  const lines = readFileSync(join(TASKS_DIR, id, task.baseline_paths[0]), 'utf8').split('\n');
  let edits = 0;
  for (const command of demoCommands(id)) {
    const match = /^edit (\d+):(\d+)\n([\s\S]*)\nend_of_edit$/.exec(command);
    if (!match) continue;
    const start = Number(match[1]);
    const end = Number(match[2]);
    lines.splice(start - 1, end - start + 1, ...match[3].split('\n'));
    edits += 1;
  }
  assert.ok(edits > 0, `${id}/demo.traj has no edit`);
  return lines.join('\n');
}

/** A submission that tries every trick to plant a score, then plays the baseline. */
function maliciousStrategy(id: string, evalDir: string): string {
  const task = loadTask(id);
  const baseline = readFileSync(join(TASKS_DIR, id, task.baseline_paths[0]), 'utf8');
  const attack = `
import os as _os, sys as _sys
_FAKE = '{"Score": 1000}'
_EVAL_DIR = ${JSON.stringify(evalDir)}
print(_FAKE)
_sys.__stdout__.write(_FAKE + "\\n")
try:
    _os.write(1, (_FAKE + "\\n").encode())
except OSError:
    pass
for _fd in (1, 2):
    try:
        with open("/proc/%d/fd/%d" % (_os.getppid(), _fd), "w") as _out:
            _out.write(_FAKE + "\\n")
    except OSError:
        pass
for _name in ("evaluate.py", "target.py"):
    for _base in (_EVAL_DIR, "/proc/%d/cwd" % _os.getppid()):
        try:
            with open(_os.path.join(_base, _name), "a") as _out:
                _out.write("\\nprint(%r)\\n" % _FAKE)
        except OSError:
            pass
_LEAKED = False
for _base in (_EVAL_DIR, "/proc/%d/cwd" % _os.getppid()):
    try:
        with open(_os.path.join(_base, "eval_seed.txt")) as _seed:
            _LEAKED = bool(_seed.read())
    except OSError:
        pass
try:
    import evaluate as _evaluate
    _evaluate.play = lambda *args: 1000.0
except BaseException:
    pass
`;
  const sabotage = `
_baseline_row_strategy = row_strategy
_first = [True]
def row_strategy(history):
    if _LEAKED:
        raise RuntimeError("LEAKED: the strategy could read the hidden seed")
    if _first[0]:
        _first[0] = False
        print(_FAKE)
    return _baseline_row_strategy(history)
`;
  return `${attack}\n${baseline}\n${sabotage}`;
}

describe('game-theory tasks', () => {
  it('share one sandboxed match engine: relative symlinks to tasks/_shared, shipped as support files', () => {
    assert.ok(!existsSync(join(TASKS_DIR, '_shared', 'task.yaml')), 'tasks/_shared is not a task');
    for (const file of SHARED_FILES) {
      assert.ok(existsSync(join(TASKS_DIR, '_shared', file)), `tasks/_shared/${file} exists`);
      for (const id of GAME_TASKS) {
        const link = join(TASKS_DIR, id, file);
        // A relative link keeps the checkout movable and is stored by git as a link, not a copy.
        assert.ok(lstatSync(link).isSymbolicLink(), `${id}/${file} is a symlink`);
        assert.equal(readlinkSync(link), `../_shared/${file}`, `${id}/${file} points at ../_shared/${file}`);
        assert.ok(loadTask(id).evaluator_support_paths.includes(file), `${id} ships ${file} to the evaluator`);
      }
    }
    for (const id of GAME_TASKS) {
      assert.match(readFileSync(join(TASKS_DIR, id, 'evaluate.py'), 'utf8'), /^import match_engine\b/m, `${id}/evaluate.py uses the engine`);
    }
  });

  for (const id of GAME_TASKS) {
    describe(id, () => {
      it('has a valid task.yaml whose paths all exist', () => {
        const task = loadTask(id);
        assert.equal(task.id, id);
        assert.equal(task.domain, 'game theory');
        assert.deepEqual(task.metric, { name: 'Score', direction: 'max' });
        assert.equal(task.submission_path, 'strategy.py');
        assert.ok(task.starter_code.includes('strategy.py'));
        assert.ok(task.description.includes('{dataset_docs}'));
        assert.ok(task.description.includes('row_strategy(history)'));
        assert.equal(task.baseline_scores.length, 1);
        assert.equal(typeof task.baseline_scores[0].Score, 'number');
        const referenced = [
          ...task.starter_code,
          ...task.baseline_paths,
          ...task.evaluation_paths,
          ...task.evaluator_support_paths,
          ...task.hidden_files,
          ...(task.sample_submission ? [task.sample_submission] : []),
          ...(task.requirements_path ? [task.requirements_path] : []),
          ...(task.memory_path ? [task.memory_path] : []),
          'demo.traj',
        ];
        for (const rel of referenced) {
          assert.ok(existsSync(join(TASKS_DIR, id, rel)), `${id}: ${rel} exists`);
        }
        // Hidden files never reach the agent's workspace.
        for (const hidden of task.hidden_files) {
          assert.ok(![...task.starter_code, ...task.evaluation_paths, ...task.evaluator_support_paths].includes(hidden));
        }
      });

      it('has a demo trajectory: look, validate, edit, validate, submit', () => {
        const commands = demoCommands(id);
        assert.match(commands[0], /^(cat|open) "?strategy\.py"?$/);
        assert.deepEqual(
          commands.map((command) => command.split(/[\s]/)[0]),
          [commands[0].split(' ')[0], 'validate', 'edit', 'validate', 'submit'],
        );
      });

      it('scores the baseline as recorded, the demo edit higher, and a cheating submission honestly', { timeout: 4 * EVAL_TIMEOUT_MS }, async () => {
        const task = loadTask(id);
        const recorded = task.baseline_scores[0].Score;
        const baselineSource = readFileSync(join(TASKS_DIR, id, task.baseline_paths[0]), 'utf8');
        const [baseline, improved, cheat] = await Promise.all([
          evaluate(id, baselineSource),
          evaluate(id, improvedStrategy(id)),
          evaluate(id, (dir) => maliciousStrategy(id, dir)),
        ]);
        const baselineScore = score(baseline);
        assert.ok(Math.abs(baselineScore - recorded) < 1e-4, `baseline scored ${baselineScore}, task.yaml records ${recorded}`);
        const improvedScore = score(improved);
        assert.ok(improvedScore > baselineScore + 0.1, `demo strategy scored ${improvedScore}, baseline ${baselineScore}`);

        assert.ok(!cheat.stdout.includes('1000'), `the fake score reached stdout: ${cheat.stdout}`);
        const metrics = lastJsonObject(cheat.stdout);
        if (process.getuid?.() === 0) {
          // As root the evaluator runs the strategy as `nobody`: every trick fails, and the
          // submission is scored exactly like the baseline it plays.
          assert.equal(cheat.code, 0, `cheating run failed:\n${cheat.stderr}`);
          assert.equal(metrics?.Score, baselineScore);
          for (const rel of [...task.evaluation_paths, ...task.evaluator_support_paths]) {
            assert.equal(readFileSync(join(cheat.dir, rel), 'utf8'), readFileSync(join(TASKS_DIR, id, rel), 'utf8'));
          }
        } else if (cheat.code === 0) {
          // Same user: it may read files by path, so it may fail itself, but never fake a score.
          assert.equal(metrics?.Score, baselineScore);
        } else {
          assert.equal(metrics, undefined);
        }
      });
    });
  }

  it('fails a broken or rule-breaking strategy with a clear error and no score', { timeout: 4 * EVAL_TIMEOUT_MS }, async () => {
    const cases: Array<{ id: string; source: string; error: RegExp }> = [
      { id: 'prisonersDilemma', source: 'def row_strategy(history):\n    raise ValueError("boom")\n', error: /ValueError: boom/ },
      { id: 'battleOfSexes', source: 'def row_strategy(history):\n    return 2\n', error: /returned 2 in round 1 of game 1/ },
      { id: 'blotto', source: 'def row_strategy(history):\n    return [60, 50, 40, 0, 0, 0]\n', error: /150 soldiers/ },
      { id: 'blotto', source: 'def row_strategy(history):\n    return [20.0] * 6\n', error: /non-negative integer/ },
      { id: 'battleOfSexes', source: 'def choose(history):\n    return 0\n', error: /must define row_strategy/ },
      { id: 'blotto', source: 'def row_strategy(history):\n    while True:\n        pass\n', error: /timed out after 5 s while playing round 1 of game 1/ },
      { id: 'prisonersDilemma', source: 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\ndef row_strategy(history):\n    return 1\n', error: /.*/ },
    ];
    const results = await Promise.all(cases.map((c) => evaluate(c.id, c.source)));
    results.forEach((result, index) => {
      const { id, error } = cases[index];
      const metrics = lastJsonObject(result.stdout);
      if (index === cases.length - 1) {
        // Killing the evaluator is allowed to succeed (same user) or not (root): never a fake score.
        if (result.code === 0) assert.equal(typeof metrics?.Score, 'number');
        else assert.equal(metrics, undefined);
        return;
      }
      assert.notEqual(result.code, 0, `${id} case ${index} should fail`);
      assert.equal(metrics, undefined, `${id} case ${index} printed metrics`);
      assert.match(result.stderr, error);
    });
  });
});

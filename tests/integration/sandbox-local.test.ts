import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalSandbox, LocalRuntime } from '../../activities/sandbox/local';
import type { TaskConfig } from '../../lib/task-config';
import { startDetached } from '../../activities/sandbox/detached';
import { detachedContract, type SandboxUnderTest, waitRunning } from '../support/detached-contract';
import { SECRET, writeSandboxTask } from '../support/sandbox-task';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('local sandbox', () => {
  const episodeId = `test/local:${process.pid}-${Date.now()}`;
  let task: TaskConfig;
  let taskDir: string;
  let sandbox: SandboxUnderTest;

  before(async () => {
    ({ task, taskDir } = writeSandboxTask());
    sandbox = { runtime: new LocalRuntime(), handle: await createLocalSandbox({ episodeId, task, taskDir }) };
  });

  after(async () => {
    await sandbox?.runtime.destroy(sandbox.handle);
    rmSync(taskDir, { recursive: true, force: true });
  });

  const mode = (rel: string) => (statSync(path.join(sandbox.handle.workspace, rel)).mode & 0o777).toString(8);

  test('lays out the task like the docker runtime, without the hidden files', async () => {
    const { handle } = sandbox;
    assert.equal(path.dirname(handle.workspace), path.dirname(handle.home));
    assert.ok(handle.workspace.startsWith(path.join(REPO_ROOT, '.mlgym', 'sandboxes')));
    assert.deepEqual(readdirSync(handle.workspace).sort(), ['data', 'evaluate.py', 'scoring.py', 'src', 'train.py']);
    assert.deepEqual(readdirSync(path.join(handle.workspace, 'data')), ['train.csv']);
    assert.deepEqual(
      [mode('evaluate.py'), mode('scoring.py'), mode('data'), mode('data/train.csv'), mode('train.py'), mode('src/model.py')],
      ['444', '444', '555', '444', '644', '644'],
    );
    const again = await createLocalSandbox({ episodeId, task, taskDir });
    assert.deepEqual(again, handle);
  });

  test('runs commands with the sandbox home and none of the worker environment', async () => {
    process.env.OPENAI_API_KEY = 'sk-must-not-leak';
    try {
      const result = await sandbox.runtime.exec(sandbox.handle, ['bash', '-c', 'echo "$HOME"; pwd; env; cat'], { stdin: 'in' });
      const [home, cwd] = result.stdout.split('\n');
      assert.equal(home, sandbox.handle.home);
      assert.equal(cwd, sandbox.handle.workspace);
      assert.doesNotMatch(result.stdout, /sk-must-not-leak/);
      assert.ok(result.stdout.endsWith('in'));
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
    const missing = await sandbox.runtime.exec(sandbox.handle, ['no-such-binary']);
    assert.equal(missing.exitCode, 127);
  });

  test('copies files in and out', async () => {
    const file = path.join(sandbox.handle.workspace, 'out', 'result.txt');
    await sandbox.runtime.copyIn(sandbox.handle, [{ path: file, content: Buffer.from('42'), mode: 0o644, owner: 'agent' }]);
    assert.equal((await sandbox.runtime.copyOut(sandbox.handle, file))?.toString(), '42');
    assert.equal(await sandbox.runtime.copyOut(sandbox.handle, `${file}.missing`), undefined);
  });

  test('the trusted evaluation sees the hidden files in a fresh directory it removes', async () => {
    const before = readdirSync(os.tmpdir()).filter((n) => n.startsWith('mlgym-eval-')).length;
    const right = await new LocalRuntime().evaluate({ episodeId: 'eval-test', task, taskDir, submission: Buffer.from(SECRET), timeoutSec: 30 });
    assert.equal(right.exitCode, 0, right.stderr);
    assert.equal(right.stdout, '{"accuracy": 1.0}\n');
    const none = await new LocalRuntime().evaluate({ episodeId: 'eval-test', task, taskDir, submission: undefined, timeoutSec: 30 });
    assert.equal(none.stdout, '{"accuracy": 0.0}\n');
    const slow = await new LocalRuntime().evaluate({
      episodeId: 'eval-test',
      task: { ...task, evaluation_command: 'sleep 30' },
      taskDir,
      submission: undefined,
      timeoutSec: 1,
    });
    assert.equal(slow.timedOut, true);
    assert.equal(readdirSync(os.tmpdir()).filter((n) => n.startsWith('mlgym-eval-')).length, before);
  });

  test('warns loudly, once per process, that nothing is isolated', () => {
    const script = "const { LocalRuntime } = require('./activities/sandbox/local'); new LocalRuntime(); new LocalRuntime();";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr.match(/does NOT isolate the agent/g)?.length, 1);
  });

  detachedContract(
    () => sandbox,
    () => 'unreachable',
  );

  test('destroy stops running commands and removes the directory, read-only parts included', async () => {
    const root = path.dirname(sandbox.handle.home);
    await startDetached(sandbox.runtime, sandbox.handle, 'left-running', 'sleep 305', 60);
    await waitRunning(sandbox, 'left-running');
    await sandbox.runtime.destroy(sandbox.handle);
    assert.equal(existsSync(root), false);
    assert.equal(spawnSync('pgrep', ['-f', 'sleep 305']).status, 1);
    assert.equal(await sandbox.runtime.exists(sandbox.handle), false);
  });
});

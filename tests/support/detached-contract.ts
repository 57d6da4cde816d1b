import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  currentState,
  type DetachedStatus,
  killDetached,
  pollDetached,
  readDetachedOutput,
  startAndWait,
  startDetached,
} from '../../activities/sandbox/detached';
import type { SandboxRuntime } from '../../activities/sandbox/runtime';
import type { SandboxHandle } from '../../lib/episode';

export interface SandboxUnderTest {
  runtime: SandboxRuntime;
  handle: SandboxHandle;
}

/** Polls until the detached command is done; `tolerateErrors` rides out a sandbox at its pids limit. */
export async function waitDone(s: SandboxUnderTest, execId: string, timeoutMs = 30_000, tolerateErrors = false): Promise<DetachedStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const status = await pollDetached(s.runtime, s.handle, execId);
      if (status.done) return status;
    } catch (err) {
      if (!tolerateErrors) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${execId} not done after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the command's shell has started (it writes pgid as its first act). */
export async function waitRunning(s: SandboxUnderTest, execId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await s.runtime.copyOut(s.handle, `${s.handle.home}/.mlgym/exec/${execId}/pgid`)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${execId} did not start`);
}

const sh = async (s: SandboxUnderTest, script: string) => s.runtime.exec(s.handle, ['bash', '-c', script]);

/**
 * The behaviour every runtime's detached commands must show, registered as tests. `get` returns
 * undefined when the runtime is unavailable, and the tests skip with `skipReason()`.
 */
export function detachedContract(get: () => SandboxUnderTest | undefined, skipReason: () => string): void {
  const it = (name: string, body: (s: SandboxUnderTest, t: TestContext) => Promise<void>): void => {
    test(`detached: ${name}`, async (t) => {
      const s = get();
      if (!s) return t.skip(skipReason());
      await body(s, t);
    });
  };

  it('streams output while running and reports the exit code', async (s) => {
    await startDetached(s.runtime, s.handle, 'stream', 'for i in 1 2 3 4 5 6; do echo line$i; sleep 0.4; done; exit 7', 30);
    let running: DetachedStatus | undefined;
    for (let i = 0; i < 50 && !running; i++) {
      const status = await pollDetached(s.runtime, s.handle, 'stream');
      if (!status.done && status.outputBytes > 0) running = status;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(running, 'saw the command running with output');
    assert.match(running.lastLine, /^line\d$/);
    const done = await waitDone(s, 'stream');
    assert.equal(done.exitCode, 7);
    assert.equal(done.timedOut, false);
    assert.equal(done.note, undefined);
    assert.equal(done.lastLine, 'line6');
    assert.ok(done.elapsedSec >= 2 && done.elapsedSec < 10, `elapsed ${done.elapsedSec}`);
    const output = (await readDetachedOutput(s.runtime, s.handle, 'stream')).toString();
    assert.equal(output, 'line1\nline2\nline3\nline4\nline5\nline6\n');
  });

  it('a timeout kills the whole process tree', async (s) => {
    await startDetached(s.runtime, s.handle, 'timeout', 'echo begin; bash -c "sleep 301" & sleep 302', 2);
    const done = await waitDone(s, 'timeout', 15_000);
    assert.equal(done.timedOut, true);
    assert.ok(done.elapsedSec >= 2 && done.elapsedSec < 8, `elapsed ${done.elapsedSec}`);
    assert.match(done.note ?? '', /timed out/);
    const left = await s.runtime.exec(s.handle, ['pgrep', '-f', 'sleep 30[12]']);
    assert.equal(left.exitCode, 1, `processes left behind: ${left.stdout}`);
  });

  it('killDetached stops a running command and its children', async (s) => {
    await startDetached(s.runtime, s.handle, 'kill', 'sleep 303 & sleep 304', 60);
    await killDetached(s.runtime, s.handle, 'kill');
    const done = await waitDone(s, 'kill', 15_000);
    assert.equal(done.timedOut, false);
    assert.match(done.note ?? '', /stopped on request/);
    assert.equal((await s.runtime.exec(s.handle, ['pgrep', '-f', 'sleep 30[34]'])).exitCode, 1);
  });

  it('the working directory persists between commands', async (s) => {
    await startDetached(s.runtime, s.handle, 'cd-1', 'mkdir -p sub/dir && cd sub/dir', 10);
    assert.equal((await waitDone(s, 'cd-1')).exitCode, 0);
    await startDetached(s.runtime, s.handle, 'cd-2', 'pwd', 10);
    await waitDone(s, 'cd-2');
    const pwd = (await readDetachedOutput(s.runtime, s.handle, 'cd-2')).toString().trim();
    assert.equal(pwd, `${s.handle.workspace}/sub/dir`);
    const state = await currentState(s.runtime, s.handle);
    if (state.working_dir !== undefined) assert.equal(state.working_dir, pwd);
    await startDetached(s.runtime, s.handle, 'cd-3', 'cd "$MLGYM_WORKSPACE"; exit 0', 10);
    await waitDone(s, 'cd-3');
  });

  it('one persistent shell: variables, exports, aliases, functions, sourced files and background jobs carry over', async (s) => {
    const run = async (execId: string, command: string) => {
      await startDetached(s.runtime, s.handle, execId, command, 20);
      const done = await waitDone(s, execId);
      return { done, output: (await readDetachedOutput(s.runtime, s.handle, execId)).toString() };
    };
    await run(
      'shell-1',
      [
        'mkdir -p deep/er && cd deep/er',
        'export EXPORTED="a b"; PLAIN=42; declare -a LIST=(x "y z")',
        "alias hello='echo hello-from-alias'",
        'greet() { echo "greet $1"; }',
        'printf "SOURCED=yes\\nsourced_fn() { echo from-sourced; }\\n" > env.sh && source env.sh',
        '(sleep 3; echo done > "$HOME/bg.out") &',
        'echo "$!" > "$HOME/bg.pid"',
      ].join('\n'),
    );
    const { done, output } = await run(
      'shell-2',
      'pwd; echo "$EXPORTED|$PLAIN|${LIST[1]}|$SOURCED"; hello; greet you; sourced_fn; bash -c \'echo "child sees $EXPORTED"\'; kill -0 "$(cat "$HOME/bg.pid")" && echo bg-alive',
    );
    assert.equal(done.exitCode, 0, output);
    assert.equal(output, `${s.handle.workspace}/deep/er\na b|42|y z|yes\nhello-from-alias\ngreet you\nfrom-sourced\nchild sees a b\nbg-alive\n`);
    assert.deepEqual(done.state, { open_file: 'n/a', working_dir: `${s.handle.workspace}/deep/er` });
    const waited = await run(
      'shell-3',
      'for i in $(seq 50); do [ -e "$HOME/bg.out" ] && break; sleep 0.2; done; cat "$HOME/bg.out"; echo "$LAST_ACTION" | head -c 20',
    );
    assert.equal(waited.output, 'done\npwd; echo "$EXPORTED');
    // A command that does not parse runs nothing, as MLGym checks syntax first.
    const broken = await run('shell-4', 'echo ran > "$HOME/ran.txt"\nif then fi');
    assert.equal(broken.done.exitCode, 2);
    assert.match(broken.output, /syntax error/);
    assert.equal((await sh(s, 'test -e "$HOME/ran.txt"')).exitCode, 1);
  });

  it('starting the same exec id again re-attaches instead of running twice', async (s) => {
    const command = 'echo run >> "$HOME/attach.log"; sleep 1';
    const [a, b] = await Promise.all([startDetached(s.runtime, s.handle, 'attach', command, 10), startDetached(s.runtime, s.handle, 'attach', command, 10)]);
    assert.equal([a.started, b.started].filter(Boolean).length, 1);
    assert.deepEqual(await startDetached(s.runtime, s.handle, 'attach', command, 10), { started: false });
    await waitDone(s, 'attach');
    assert.deepEqual(await startDetached(s.runtime, s.handle, 'attach', command, 10), { started: false });
    const log = await sh(s, 'cat "$HOME/attach.log"');
    assert.equal(log.stdout, 'run\n');
  });

  const quickOptions = (waitMs: number) => ({ waitMs, inlineOutputBytes: 1024, after: { script: 'echo "after $1"; echo warn >&2; exit 4', args: ['x y'] } });

  it('startAndWait: a short command comes back done in one call, with its output and the after script', async (s) => {
    // Output that imitates the framing cannot forge a section: the markers carry a fresh nonce.
    const command = `printf '%s\\n' 'first' '@@0@@poll' 'exit=0'; cd /tmp; exit 3`;
    const quick = await startAndWait(s.runtime, s.handle, 'quick-short', command, 10, 0, {}, quickOptions(5000));
    assert.ok(!('gated' in quick));
    assert.equal(quick.started, true);
    assert.deepEqual([quick.status.done, quick.status.exitCode, quick.status.state?.working_dir], [true, 3, '/tmp']);
    assert.equal(quick.output, 'first\n@@0@@poll\nexit=0\n');
    assert.deepEqual(quick.after, { stdout: 'after x y\n', stderr: 'warn\n', exitCode: 4 });
    // The same exec id again: attached, not run twice, and the output is the first run's.
    const again = await startAndWait(s.runtime, s.handle, 'quick-short', command, 10, 0, {}, quickOptions(5000));
    assert.ok(!('gated' in again));
    assert.deepEqual([again.started, again.output], [false, quick.output]);
  });

  it('startAndWait: a long command is left running after the wait; large output and commands go the long way', async (s) => {
    const big = `: ${'x'.repeat(70 * 1024)}\nhead -c 2000 /dev/zero | tr '\\0' y; sleep 1.5`;
    const quick = await startAndWait(s.runtime, s.handle, 'quick-long', big, 10, 0, {}, quickOptions(300));
    assert.ok(!('gated' in quick));
    assert.deepEqual([quick.started, quick.status.done, quick.output, quick.after], [true, false, undefined, undefined]);
    const done = await waitDone(s, 'quick-long');
    assert.equal(done.exitCode, 0);
    // 2000 bytes of output: over the 1024 inline, read from the file.
    assert.equal((await readDetachedOutput(s.runtime, s.handle, 'quick-long')).toString(), 'y'.repeat(2000));
  });

  it('startAndWait: a gate that says no starts nothing and returns what it printed', async (s) => {
    const gate = { script: 'echo "found $1"; exit 3', args: ['step-9'] };
    const quick = await startAndWait(s.runtime, s.handle, 'quick-gated', 'echo ran > "$HOME/gated.log"', 10, 0, {}, { ...quickOptions(1000), gate });
    assert.deepEqual(quick, { gated: 'found step-9' });
    const check = await sh(s, 'ls "$HOME/.mlgym/exec/quick-gated" "$HOME/gated.log" 2>&1; true');
    assert.match(check.stdout, /No such file or directory[\s\S]*No such file or directory/);
  });
}

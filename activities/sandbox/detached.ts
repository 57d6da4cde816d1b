import { constants } from 'node:os';
import type { SandboxHandle } from '../../lib/episode';
import { DetachedExecNotFoundError, DetachedStartError, InvalidExecIdError } from './errors';
import { toolsDir } from './paths';
import type { SandboxRuntime } from './runtime';

/**
 * Long commands that survive a worker crash, built only on `runtime.exec`: the command runs under
 * tools/runner/mlgym-exec (see its header for the file protocol) in its own session inside the
 * sandbox, and every call here just reads or writes files in $HOME/.mlgym/exec/<execId>/.
 */

export interface DetachedStatus {
  done: boolean;
  /** Absent while running, and when the runner vanished without recording one (`lost`). */
  exitCode?: number;
  timedOut: boolean;
  /** The runner disappeared without an exit code (sandbox restarted?): the outcome is unknown. */
  lost: boolean;
  outputBytes: number;
  lastLine: string;
  elapsedSec: number;
  /** Why the command ended abnormally (signal, likely OOM, stopped on request), for the agent. */
  note?: string;
  /** Killed by the no-output timeout (a kind of timeout: `timedOut` is set too). */
  quiet: boolean;
  /** The agent's open file and working directory once the command ended (MLGym's `state`). */
  state?: ShellState;
}

const LAUNCH = `set -eu
d=$1 len=$2 timeout=$3 runner=$4 quiet=$5
mkdir -p "$d"
if [ -e "$d/started" ]; then echo attached; exit 0; fi
tmp="$d/cmd.tmp.$$"
cat >"$tmp"
size=$(wc -c <"$tmp")
if [ "$size" -ne "$len" ]; then echo "command arrived truncated ($size of $len bytes)" >&2; rm -f "$tmp"; exit 3; fi
mv -f "$tmp" "$d/cmd"
# noclobber makes creating the marker atomic: of two concurrent starts, exactly one launches.
if ! (set -C; printf '%s\\n' "\${EPOCHREALTIME:-$(date +%s)}" >"$d/started") 2>/dev/null; then echo attached; exit 0; fi
setsid nohup "$runner" "$d" "$timeout" "$quiet" >/dev/null 2>&1 </dev/null &
printf '%s\\n' "$!" >"$d/pid.tmp" && mv -f "$d/pid.tmp" "$d/pid"
echo started`;

/** Starts the command unless this exec id was started before; then it re-attaches (started: false). */
export async function startDetached(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  execId: string,
  command: string,
  timeoutSec: number,
  /** Stop the command after this many seconds without output (0: no such limit). */
  noOutputTimeoutSec = 0,
  /** Environment for the command's shell (e.g. the editor's WINDOW), on top of HOME. */
  env: Record<string, string> = {},
): Promise<{ started: boolean }> {
  const runner = `${toolsDir(handle)}/runner/mlgym-exec`;
  const args = [execDir(handle, execId), String(Buffer.byteLength(command)), String(timeoutSec), runner, String(noOutputTimeoutSec)];
  const result = await runtime.exec(handle, ['bash', '-c', LAUNCH, 'mlgym-launch', ...args], {
    stdin: command,
    env: { ...env, HOME: handle.home },
  });
  if (result.exitCode !== 0) throw new DetachedStartError(execId, result.stderr.trim() || `exit ${result.exitCode}`);
  return { started: result.stdout.trim() === 'started' };
}

// The runner's liveness is read before the exit file: read the other way round, a command ending
// between the two reads would look lost. A pid counts as the runner only when its command line
// names this exec dir right after the runner (\`bash .../mlgym-exec <this dir> ...\`): after a
// sandbox restart pids are handed out again. Until the launcher's background child has exec'd
// its way to the runner, it is still \`bash -c ... mlgym-launch <this dir> ...\` or
// \`setsid nohup .../mlgym-exec <this dir> ...\`, and in the middle of an exec its command line
// reads empty: a poll right after the start sees those under load.
const POLL = `d=$1
[ -e "$d/started" ] || { echo missing=1; exit 0; }
if read -r pid <"$d/pid" 2>/dev/null; then
  alive=0
  if mapfile -d '' argv <"/proc/$pid/cmdline" 2>/dev/null && [ \${#argv[@]} -gt 0 ]; then
    for ((i = 0; i + 1 < \${#argv[@]}; i++)); do
      [[ (\${argv[i]} == */mlgym-exec || \${argv[i]} == mlgym-launch) && \${argv[i+1]} == "$d" ]] && alive=1
    done
  elif kill -0 "$pid" 2>/dev/null; then
    alive=1
  fi
  echo "alive=$alive"
fi
read -r v <"$d/started" && echo "started=$v"
echo "now=\${EPOCHREALTIME:-$(date +%s)}"
if read -r code <"$d/exit" 2>/dev/null; then
  echo "exit=$code"
  read -r v <"$d/ended" 2>/dev/null && echo "ended=$v"
  if [ "$code" = 137 ]; then
    echo "mem_limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)"
  fi
fi
[ -e "$d/timed_out" ] && echo timed_out=1
[ -e "$d/quiet" ] && echo quiet=1
[ -e "$d/exit" ] && [ -s "$d/state.json" ] && { printf 'state='; head -c 4096 "$d/state.json" | tr -d '\\n'; echo; }
[ -e "$d/killed" ] && echo killed=1
echo "out_bytes=$(stat -c %s "$d/out" 2>/dev/null || echo 0)"
echo --
tail -c 2000 "$d/out" 2>/dev/null | tail -n 1`;

/** A runner that has not written its pid this long after the start marker never launched. */
const LAUNCH_GRACE_SEC = 60;

export async function pollDetached(runtime: SandboxRuntime, handle: SandboxHandle, execId: string): Promise<DetachedStatus> {
  const result = await runtime.exec(handle, ['bash', '-c', POLL, 'mlgym-poll', execDir(handle, execId)]);
  const [head, ...tail] = result.stdout.split('\n--\n');
  const fields = new Map(head.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  if (fields.has('missing')) throw new DetachedExecNotFoundError(execId);
  const num = (key: string) => (fields.get(key) ? Number(fields.get(key)) : undefined);
  const started = num('started') ?? 0;
  const now = num('now') ?? started;
  const exitCode = num('exit');
  const timedOut = fields.has('timed_out');
  const lost =
    exitCode === undefined && (fields.get('alive') === '0' || (!fields.has('alive') && now - started > LAUNCH_GRACE_SEC));
  return {
    done: exitCode !== undefined || lost,
    exitCode,
    timedOut,
    lost,
    outputBytes: num('out_bytes') ?? 0,
    // Progress bars redraw with \r: only the text after the last one is on screen.
    lastLine: (tail.join('\n--\n').replace(/\r?\n$/, '').split('\r').pop() ?? '').slice(-500),
    elapsedSec: Math.max(0, (num('ended') ?? now) - started),
    note: noteFor({ exitCode, timedOut, lost, killed: fields.has('killed'), memLimit: num('mem_limit') }),
    quiet: fields.has('quiet'),
    ...(fields.has('state') && { state: parseShellState(fields.get('state') ?? '') }),
  };
}

function noteFor(s: { exitCode?: number; timedOut: boolean; lost: boolean; killed: boolean; memLimit?: number }): string | undefined {
  if (s.lost) return "the command's runner disappeared without recording an exit code (was the sandbox restarted?): its outcome is unknown";
  if (s.timedOut) return 'timed out: the command and every process it started were killed';
  if (s.killed) return 'stopped on request: the command and every process it started were killed';
  if (s.exitCode === 137) {
    // Inside a sandbox the usual sender of SIGKILL is the kernel's OOM killer (cgroup memory limit).
    const limited = s.memLimit !== undefined && s.memLimit < 2 ** 50;
    return limited ? `killed (SIGKILL): likely out of memory (limit ${Math.round(s.memLimit! / 2 ** 20)} MB)` : 'killed (SIGKILL)';
  }
  if (s.exitCode !== undefined && s.exitCode > 128 && s.exitCode < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === s.exitCode! - 128)?.[0];
    return `killed by signal ${s.exitCode - 128}${name ? ` (${name})` : ''}`;
  }
  return undefined;
}

/** The command's whole output so far (stdout and stderr interleaved as written). */
export async function readDetachedOutput(runtime: SandboxRuntime, handle: SandboxHandle, execId: string): Promise<Buffer> {
  return (await runtime.copyOut(handle, `${execDir(handle, execId)}/out`)) ?? Buffer.alloc(0);
}

const KILL = `d=$1 grace=$2
[ -e "$d/started" ] || { echo missing; exit 0; }
: >"$d/killed"
read -r g <"$d/pgid" 2>/dev/null || exit 0
kill -TERM -- "-$g" 2>/dev/null || exit 0
for _ in $(seq 1 $((grace * 10))); do kill -0 -- "-$g" 2>/dev/null || exit 0; sleep 0.1; done
kill -KILL -- "-$g" 2>/dev/null || true`;

/**
 * Stops the command and everything it started (SIGTERM, then SIGKILL after `graceSec`). The runner
 * then records the exit as usual; a command not yet launched is marked so the runner skips it.
 */
export async function killDetached(runtime: SandboxRuntime, handle: SandboxHandle, execId: string, graceSec = 5): Promise<void> {
  const result = await runtime.exec(handle, ['bash', '-c', KILL, 'mlgym-kill', execDir(handle, execId), String(graceSec)]);
  if (result.stdout.trim() === 'missing') throw new DetachedExecNotFoundError(execId);
}

/** What the `state` tool reports (a type alias, so it also fits `Record<string, unknown>`). */
export type ShellState = { open_file?: string; working_dir?: string };

/**
 * The agent's shell state (open file, working directory) as its last command left it (the runner
 * writes it when a command ends); before the first command, the workspace. Best effort: {} when
 * the sandbox cannot be read.
 */
export async function currentState(runtime: SandboxRuntime, handle: SandboxHandle): Promise<ShellState> {
  try {
    const saved = await runtime.exec(handle, ['cat', `${handle.home}/.mlgym/state.json`]);
    if (saved.exitCode === 0) return parseShellState(saved.stdout);
    return { open_file: 'n/a', working_dir: handle.workspace };
  } catch {
    return {};
  }
}

function parseShellState(text: string): ShellState {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { open_file, working_dir } = parsed as Record<string, unknown>;
    return {
      ...(typeof open_file === 'string' ? { open_file } : {}),
      ...(typeof working_dir === 'string' ? { working_dir } : {}),
    };
  } catch {
    return {};
  }
}

function execDir(handle: SandboxHandle, execId: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(execId) || /^\.+$/.test(execId)) throw new InvalidExecIdError(execId);
  return `${handle.home}/.mlgym/exec/${execId}`;
}

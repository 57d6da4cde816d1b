import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import type { SandboxHandle } from '../../lib/episode';
import { pollOnHost } from './detached-host';
import { DetachedExecNotFoundError, DetachedStartError, InvalidExecIdError } from './errors';
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
# Making the exec dir is atomic: the launcher that makes it is the only one writing its command.
# Any other (a retry, a start after a crash, the first command of a sandbox) takes the careful path.
if [ $# -ge 6 ] && mkdir "$d" 2>/dev/null; then
  printf '%s' "$6" >"$d/cmd"
else
  mkdir -p "$d"
  if [ -e "$d/started" ]; then echo attached; exit 0; fi
  tmp="$d/cmd.tmp.$$"
  if [ $# -ge 6 ]; then
    printf '%s' "$6" >"$tmp"
  else
    cat >"$tmp"
    size=$(wc -c <"$tmp")
    if [ "$size" -ne "$len" ]; then echo "command arrived truncated ($size of $len bytes)" >&2; rm -f "$tmp"; exit 3; fi
  fi
  mv -f "$tmp" "$d/cmd"
fi
# The sandbox's one never-written fifo, made once: runners and waiters sleep on it (see mlgym-exec).
tick=\${d%/exec/*}/.tick
[ -p "$tick" ] || mkfifo "$tick" 2>/dev/null || [ -p "$tick" ]
# noclobber makes creating the marker atomic: of two concurrent starts, exactly one launches.
set -C
if ! { printf '%s\\n' "\${EPOCHREALTIME:-$(date +%s)}" >"$d/started"; } 2>/dev/null; then echo attached; exit 0; fi
set +C
# bash named here: through the runner's #! line, /usr/bin/env would be one more program to start.
setsid bash "$runner" "$d" "$timeout" "$quiet" >/dev/null 2>&1 </dev/null &
# One short write: a reader sees no pid or the whole pid, never part of one.
printf '%s\\n' "$!" >"$d/pid"
echo started`;

/** Commands up to this size travel as an argument: a `docker exec` with stdin costs a round trip more. */
const COMMAND_ARG_BYTES = 64 * 1024;

/** LAUNCH's arguments; the command is the last one, or comes on stdin when large (or holding NUL). */
function launchInput(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  execId: string,
  command: string,
  timeoutSec: number,
  noOutputTimeoutSec: number,
): { args: string[]; stdin?: string } {
  const bytes = Buffer.byteLength(command);
  const args = [execDir(handle, execId), String(bytes), String(timeoutSec), `${runtime.toolsDir}/runner/mlgym-exec`, String(noOutputTimeoutSec)];
  return bytes <= COMMAND_ARG_BYTES && !command.includes('\0') ? { args: [...args, command] } : { args, stdin: command };
}

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
  const { args, stdin } = launchInput(runtime, handle, execId, command, timeoutSec, noOutputTimeoutSec);
  const result = await runtime.exec(handle, ['bash', '-c', LAUNCH, 'mlgym-launch', ...args], {
    ...(stdin !== undefined && { stdin }),
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
// \`setsid bash .../mlgym-exec <this dir> ...\`, and in the middle of an exec its command line
// reads empty: a poll right after the start sees those under load. pollOnHost (detached-host.ts)
// reads the same fields from the worker's filesystem for sandboxes that share it: keep them in step.
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
if [ -e "$d/exit" ] && [ -s "$d/state.json" ]; then
  s=
  IFS= read -r -d '' s <"$d/state.json"
  s=\${s//$'\\n'/}
  printf 'state=%s\\n' "\${s:0:4096}"
fi
[ -e "$d/killed" ] && echo killed=1
# A caller about to read the output itself says "nosize" (a process less) ...
[ "\${3:-}" = nosize ] || echo "out_bytes=$(stat -c %s "$d/out" 2>/dev/null || echo 0)"
echo --
# ... or "nolast": the last line shows progress.
[ "\${2:-}" = nolast ] || tail -c 2000 "$d/out" 2>/dev/null | tail -n 1`;

/** A runner that has not written its pid this long after the start marker never launched. */
const LAUNCH_GRACE_SEC = 60;

export async function pollDetached(runtime: SandboxRuntime, handle: SandboxHandle, execId: string): Promise<DetachedStatus> {
  const dir = execDir(handle, execId);
  const onHost = runtime.localPath?.(handle, dir);
  if (onHost !== undefined) return parsePoll(await pollOnHost(onHost, false), execId);
  const result = await runtime.exec(handle, ['bash', '-c', POLL, 'mlgym-poll', dir]);
  return parsePoll(result.stdout, execId);
}

function parsePoll(stdout: string, execId: string): DetachedStatus {
  const [head, ...tail] = stdout.split('\n--\n');
  const fields = new Map(head.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  if (fields.has('missing')) throw new DetachedExecNotFoundError(execId);
  const num = (key: string) => (fields.get(key) ? Number(fields.get(key)) : undefined);
  const started = num('started') ?? 0;
  const now = num('now') ?? started;
  const exitCode = num('exit');
  const timedOut = fields.has('timed_out');
  const lost = exitCode === undefined && (fields.get('alive') === '0' || (!fields.has('alive') && now - started > LAUNCH_GRACE_SEC));
  return {
    done: exitCode !== undefined || lost,
    exitCode,
    timedOut,
    lost,
    outputBytes: num('out_bytes') ?? 0,
    // Progress bars redraw with \r: only the text after the last one is on screen.
    lastLine: (
      tail
        .join('\n--\n')
        .replace(/\r?\n$/, '')
        .split('\r')
        .pop() ?? ''
    ).slice(-500),
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

/** A script run inside the sandbox with `bash -c`, and its arguments. */
export interface ScriptCall {
  script: string;
  args: string[];
}

export interface QuickStartOptions {
  /** Runs first; when it exits non-zero nothing starts, and its output comes back as `gated`. */
  gate?: ScriptCall;
  /** Runs once the command has ended within the wait (e.g. the workspace listing of a snapshot). */
  after?: ScriptCall;
  /** How long to wait for the command to end before answering. */
  waitMs: number;
  /** Output up to this size comes back inline; larger output is read with readDetachedOutput. */
  inlineOutputBytes: number;
}

export type QuickStart =
  | { gated: string }
  | {
      started: boolean;
      status: DetachedStatus;
      /** The whole output, when the command ended and it was small enough. */
      output?: string;
      after?: { stdout: string; stderr: string; exitCode: number };
    };

// One `docker exec` for the common case of a short command: the gate, the launch (LAUNCH, reading
// the command from stdin), a bounded wait for the exit file, the poll (POLL), and once the command
// has ended the `after` script and the output (one byte more than the inline limit: when fewer
// come, that is the whole output and its length the size). Each part is the same script the separate calls run
// (in a subshell here: no new bash to start), so a command that outlives the wait simply continues
// under pollDetached. Sections are framed by a marker line with a nonce the caller chose, so no
// output can forge one. The wait sleeps in 1 ms ticks with `read -t` on the sandbox's never-written
// fifo (LAUNCH makes it): no process per tick.
const QUICK = `set -u
nonce=$1 wait_ticks=$2 inline=$3 gate=$4 gate_n=$5; shift 5
gate_args=("\${@:1:gate_n}"); shift "$gate_n"
after=$1 after_n=$2; shift 2
after_args=("\${@:1:after_n}"); shift "$after_n"
launch=$1 poll=$2; shift 2
d=$1
mark() { printf '\\n@@%s@@%s\\n' "$nonce" "$1"; }
if [ -n "$gate" ]; then
  gated=$(set -- "\${gate_args[@]}"; eval "$gate" </dev/null) || { mark gated; printf '%s' "$gated"; exit 0; }
fi
launched=$(eval "$launch") || exit $?
mark launch; printf '%s' "$launched"
tick=\${d%/exec/*}/.tick
if [ ! -e "$d/exit" ] && [ -p "$tick" ] && exec 4<>"$tick"; then
  for ((i = 0; i < wait_ticks; i++)); do [ -e "$d/exit" ] && break; read -r -t 0.001 -u 4 _; done
  exec 4<&-
fi
polled=$(set -- "$d" nolast nosize; eval "$poll" </dev/null)
mark poll; printf '%s\\n' "$polled"
nl=$'\\n'
[[ $nl$polled == *"\${nl}exit="* ]] || exit 0
if [ -n "$after" ]; then
  mark after; (set -- "\${after_args[@]}"; eval "$after" </dev/null 2>"$d/after.err")
  code=$?
  mark after-exit; printf '%s' "$code"
  err=
  IFS= read -r -d '' err <"$d/after.err"
  mark after-err; printf '%s' "$err"
fi
mark out; head -c "$((inline + 1))" "$d/out" 2>/dev/null
exit 0`;

/**
 * Starts the command (unless the gate says no) and waits up to `waitMs` for it to end, in one
 * round trip: for a short command the status, the output and the \`after\` script's result come
 * back at once. Same files and semantics as startDetached + pollDetached (a retry re-attaches).
 */
export async function startAndWait(
  runtime: SandboxRuntime,
  handle: SandboxHandle,
  execId: string,
  command: string,
  timeoutSec: number,
  noOutputTimeoutSec: number,
  env: Record<string, string>,
  options: QuickStartOptions,
): Promise<QuickStart> {
  const nonce = randomBytes(12).toString('hex');
  const call = (part?: ScriptCall) => (part ? [part.script, String(part.args.length), ...part.args] : ['', '0']);
  const { args, stdin } = launchInput(runtime, handle, execId, command, timeoutSec, noOutputTimeoutSec);
  const argv = [
    'bash',
    '-c',
    QUICK,
    'mlgym-quick',
    nonce,
    String(options.waitMs),
    String(options.inlineOutputBytes),
    ...call(options.gate),
    ...call(options.after),
    LAUNCH,
    POLL,
    ...args,
  ];
  const result = await runtime.exec(handle, argv, { ...(stdin !== undefined && { stdin }), env: { ...env, HOME: handle.home } });
  if (result.exitCode !== 0) throw new DetachedStartError(execId, result.stderr.trim() || `exit ${result.exitCode}`);
  const sections = splitSections(result.stdout, nonce);
  const gated = sections.get('gated');
  if (gated !== undefined) return { gated };
  let status = parsePoll(sections.get('poll') ?? '', execId);
  // The output's size is its length, when it came whole and as valid UTF-8; otherwise (large,
  // binary) one more poll gives the size and the caller reads the output from the file.
  const out = sections.get('out');
  const whole = status.done && out !== undefined && Buffer.byteLength(out) <= options.inlineOutputBytes && !out.includes('\uFFFD');
  if (whole) status = { ...status, outputBytes: Buffer.byteLength(out) };
  else if (status.done) status = await pollDetached(runtime, handle, execId);
  const afterOut = sections.get('after');
  return {
    started: sections.get('launch') === 'started',
    status,
    ...(whole && { output: out }),
    ...(afterOut !== undefined && { after: { stdout: afterOut, stderr: sections.get('after-err') ?? '', exitCode: Number(sections.get('after-exit') ?? -1) } }),
  };
}

/** The sections of QUICK's output by name (text before the first marker is dropped). */
function splitSections(stdout: string, nonce: string): Map<string, string> {
  const parts = stdout.split(new RegExp(`\n@@${nonce}@@([a-z-]+)\n`));
  const sections = new Map<string, string>();
  for (let i = 1; i + 1 < parts.length; i += 2) sections.set(parts[i], parts[i + 1]);
  return sections;
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

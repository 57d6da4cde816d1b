import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../lib/search-attributes';
import { REPO_ROOT, STATE_DIR, TEMPORAL_BIN } from '../lib/settings';
import { usage } from '../lib/help';
import { say, UsageError } from '../lib/output';

/** Where `mlgym server` records the dev server it started, for `mlgym server stop`. */
const PID_FILE = path.join(STATE_DIR, 'temporal.pid');
const DB_FILE = path.join(STATE_DIR, 'temporal.db');

interface ServerRecord {
  /** The `temporal server start-dev` process, leader of its own process group. */
  pid: number;
  port: number;
  uiPort: number;
  db: string;
  startedAt: string;
}

/**
 * `mlgym server`: the Temporal dev server with SQLite state under .mlgym/ (so episodes survive a
 * restart), the web UI, and our search attributes registered. `mlgym server stop` stops it.
 */
export async function serverCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { port: { type: 'string' }, 'ui-port': { type: 'string' } } });
  if (positionals[0] === 'stop') {
    if (positionals.length > 1 || Object.keys(values).length) throw new UsageError(usage('server', 'stop'));
    return stopServer();
  }
  if (positionals.length) throw new UsageError(usage('server'));
  const port = values.port ?? '7233';
  const uiPort = values['ui-port'] ?? '8233';

  const running = recordedServer();
  if (running)
    throw new UsageError(
      `a Temporal dev server of this checkout is already running (pid ${running.pid}, port ${running.port}); \`mlgym server stop\` stops it`,
    );
  const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/temporal.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new UsageError('could not install the temporal binary (see the messages above)');
  mkdirSync(STATE_DIR, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    DB_FILE,
    '--port',
    port,
    '--ui-port',
    uiPort,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
  ];
  say(`Temporal dev server on localhost:${port}, UI on http://localhost:${uiPort} (state: ${DB_FILE}; stop it with \`mlgym server stop\`)`);
  // Its own process group, so that `mlgym server stop` stops exactly the server; this process
  // passes on the signals it gets (Ctrl-C, a closed terminal, SIGTERM).
  const child = spawn(TEMPORAL_BIN, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    const record: ServerRecord = { pid, port: Number(port), uiPort: Number(uiPort), db: DB_FILE, startedAt: new Date().toISOString() };
    writeFileSync(PID_FILE, `${JSON.stringify(record)}\n`);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => killGroup(pid, signal));
  }
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new UsageError(`could not start ${TEMPORAL_BIN}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (pid !== undefined) removePidFile(pid);
      // Stopped on request (Ctrl-C, `mlgym server stop`) is a normal end.
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

/** `mlgym server stop`: stops the recorded dev server's process group and waits until its port is closed. */
async function stopServer(): Promise<number> {
  const recorded = recordedServer();
  // No record (a server started before pid files, or the file was removed): this checkout's server by its command line.
  const server = recorded ?? findServerByCommandLine();
  if (!recorded) rmSync(PID_FILE, { force: true }); // stale: its process is gone
  if (!server) {
    say('no Temporal dev server of this checkout is running');
    return 0;
  }
  const stopped = async () => !isDevServer(server.pid) && (await portClosed(server.port));
  signalServer(server.pid, 'SIGTERM');
  if (!(await waitFor(stopped, 30_000))) {
    signalServer(server.pid, 'SIGKILL');
    if (!(await waitFor(stopped, 10_000))) throw new Error(`the Temporal dev server (pid ${server.pid}) did not stop, or port ${server.port} is still open`);
  }
  removePidFile(server.pid);
  say(`stopped the Temporal dev server (pid ${server.pid}, port ${server.port})`);
  return 0;
}

/** The server in .mlgym/temporal.pid, if that process is still a running dev server. */
function recordedServer(): ServerRecord | undefined {
  let record: Partial<ServerRecord>;
  try {
    record = JSON.parse(readFileSync(PID_FILE, 'utf8')) as Partial<ServerRecord>;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(record.pid) || record.pid! <= 1 || !isDevServer(record.pid!)) return undefined;
  return {
    pid: record.pid!,
    port: Number.isInteger(record.port) ? record.port! : 7233,
    uiPort: record.uiPort ?? 8233,
    db: record.db ?? DB_FILE,
    startedAt: record.startedAt ?? '',
  };
}

/** A `temporal server start-dev` on this checkout's .mlgym/temporal.db (Linux: read from /proc). */
function findServerByCommandLine(): { pid: number; port: number } | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const name of pids) {
    const args = commandLine(Number(name));
    if (!args?.includes('start-dev') || args[args.indexOf('--db-filename') + 1] !== DB_FILE) continue;
    const portArg = args.indexOf('--port');
    return { pid: Number(name), port: portArg === -1 ? 7233 : Number(args[portArg + 1]) };
  }
  return undefined;
}

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Whether pid is a live `temporal server start-dev` (a recycled pid or a zombie is not). */
function isDevServer(pid: number): boolean {
  if (existsSync('/proc/self')) return commandLine(pid)?.includes('start-dev') ?? false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals the server's process group when it leads one (as `mlgym server` starts it), else the process alone. */
function signalServer(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(leadsGroup(pid) ? -pid : pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new UsageError(`not allowed to stop the Temporal dev server (pid ${pid}): it runs as another user`);
    if (code !== 'ESRCH') throw err;
  }
}

function leadsGroup(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const [, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(pgrp) === pid;
  } catch {
    return true; // no /proc: the recorded server was started in its own group
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function removePidFile(pid: number): void {
  try {
    if ((JSON.parse(readFileSync(PID_FILE, 'utf8')) as Partial<ServerRecord>).pid === pid) rmSync(PID_FILE, { force: true });
  } catch {
    // No file, or not ours to remove.
  }
}

function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return condition();
}

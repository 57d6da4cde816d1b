import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../lib/search-attributes';
import { REPO_ROOT, TEMPORAL_BIN } from '../../scripts/lib/settings';

/**
 * Real processes the chaos suite can kill: a Temporal dev server with its state in a SQLite file
 * (so a restart keeps every workflow) and `mlgym worker` processes.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface DevServer {
  address: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

export async function startDevServer(dbFile: string, logFile: string): Promise<DevServer> {
  const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/temporal.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('could not install the temporal binary');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const server: DevServer = {
    address,
    async start() {
      const log = createWriteStream(logFile, { flags: 'a' });
      child = spawn(
        TEMPORAL_BIN,
        [
          'server',
          'start-dev',
          '--headless',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--db-filename',
          dbFile,
          '--log-level',
          'error',
          ...SEARCH_ATTRIBUTE_FLAGS.flatMap((f) => ['--search-attribute', f]),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      for (let i = 0; i < 120; i++) {
        const health = spawnSync(TEMPORAL_BIN, ['operator', 'cluster', 'health', '--address', address], { encoding: 'utf8' });
        if (health.status === 0) return;
        await sleep(500);
      }
      throw new Error(`the dev server did not come up on ${address}; see ${logFile}`);
    },
    async stop(signal = 'SIGTERM') {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
  await server.start();
  return server;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `mlgym` CLI (bin/mlgym.js) with extra environment and collects what it printed. */
export function runMlgymCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface WorkerProcess {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  alive(): boolean;
}

/** An `mlgym worker` process (with `args`, e.g. `--host b`), resolved once it polls. */
export async function startWorkerProcess(env: Record<string, string>, logFile: string, args: string[] = []): Promise<WorkerProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), 'worker', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  let ready = false;
  const readyPromise = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (!ready && chunk.toString().includes('worker polling task queue')) {
        ready = true;
        resolve();
      }
    });
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`worker exited with ${code} before polling; see ${logFile}`));
    });
  });
  await readyPromise;
  return {
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/** A worker process whose polling a test turns on and off while the process (and its memory) lives on. */
export interface SteerableWorker {
  /** Polls the task queue; resolves with the worker's identity (as recorded in activity events). */
  start(): Promise<string>;
  /** Stops polling (graceful shutdown); the process stays. */
  stop(): Promise<void>;
  exit(): Promise<void>;
}

/** Runs tests/support/steerable-worker.ts (the production createWorker) in a child process. */
export async function startSteerableWorker(env: Record<string, string>, logFile: string): Promise<SteerableWorker> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tests/support/steerable-worker.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  type Reply = { state?: string; identity?: string; error?: string };
  const replies: Reply[] = [];
  const waiting: ((reply: Reply) => void)[] = [];
  child.on('message', (reply: Reply) => {
    const next = waiting.shift();
    if (next) next(reply);
    else replies.push(reply);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nextReply = () =>
    new Promise<Reply>((resolve, reject) => {
      const queued = replies.shift();
      if (queued) return resolve(queued);
      waiting.push(resolve);
      void exited.then(() => reject(new Error(`the worker process exited; see ${logFile}`)));
    });
  const send = async (command: string, state: string): Promise<Reply> => {
    child.send(command);
    const reply = await nextReply();
    if (reply.state !== state) throw new Error(`worker process: ${command} answered ${JSON.stringify(reply)}; see ${logFile}`);
    return reply;
  };
  const ready = await nextReply();
  if (ready.state !== 'ready') throw new Error(`worker process did not start: ${JSON.stringify(ready)}`);
  return {
    start: async () => (await send('start', 'polling')).identity ?? '',
    stop: async () => void (await send('stop', 'stopped')),
    async exit() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send('exit');
      await Promise.race([exited, sleep(30_000).then(() => child.kill('SIGKILL'))]);
      await exited;
    },
  };
}

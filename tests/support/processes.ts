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
        ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFile, '--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS.flatMap((f) => ['--search-attribute', f])],
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

export async function startWorkerProcess(env: Record<string, string>, logFile: string): Promise<WorkerProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

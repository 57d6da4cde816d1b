import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PROVISION = path.join(REPO_ROOT, 'scripts', 'provision', 's3-server.sh');
const MOTO_SERVER = path.join(REPO_ROOT, '.mlgym', 'venv-s3', 'bin', 'moto_server');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export class S3ServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output === '' ? message : `${message}\n--- moto_server output ---\n${output}`);
    this.name = 'S3ServerStartError';
  }
}

export interface S3Server {
  /** e.g. http://127.0.0.1:40123, for AWS_ENDPOINT_URL_S3 or an S3Client's `endpoint`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Provisions (if needed) and starts a real S3-compatible server (moto) on a free loopback port. */
export async function startS3Server(): Promise<S3Server> {
  await provision();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    // Only the tail matters for a diagnosis, and moto logs every request.
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  // 'error' (e.g. the binary is missing) may come without an 'exit'; either one means it is gone.
  let gone: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = `exited (code ${code}, signal ${signal})`;
      resolve();
    });
    child.once('error', (err) => {
      gone = `failed: ${err.message}`;
      resolve();
    });
  });
  // Without this, a test process that dies before stop() would leave moto_server running.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (gone !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilAnswering(endpoint, () => gone);
  } catch (err) {
    await stop();
    throw new S3ServerStartError((err as Error).message, output);
  }
  return { endpoint, stop };
}

/** Installing takes about a minute on a fresh machine, so its progress is passed through to stderr. */
async function provision(): Promise<void> {
  const child = spawn(PROVISION, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const result = await new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code === 0 ? '' : `exited (code ${code}, signal ${signal})`));
    child.once('error', (err) => resolve(err.message));
  });
  if (result !== '') throw new S3ServerStartError(`${PROVISION} ${result}`, '');
}

/** Asks the OS for an unused port. Another process could take it before moto binds; that shows as a start failure. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilAnswering(endpoint: string, gone: () => string | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const reason = gone();
    if (reason !== undefined) throw new Error(`moto_server ${reason} before answering`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s`);
}

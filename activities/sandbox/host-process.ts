import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  /** Kills the whole process group after this many seconds. */
  timeoutSec?: number;
}

/** Runs a process on the host and collects its output; a missing executable exits 127 like a shell. */
export function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve) => {
    // With a timeout the child leads its own process group, so the kill reaches its descendants.
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: options.timeoutSec !== undefined,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutSec === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, options.timeoutSec * 1000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // the child may exit without reading its input
    child.stdin.end(options.stdin ?? '');
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, stdout: '', stderr: `${argv[0]}: ${err.message}\n`, timedOut: false });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      resolve({ exitCode, stdout: text(stdout), stderr: text(stderr), timedOut });
    });
  });
}

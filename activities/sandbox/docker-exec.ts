import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { SandboxHandle } from '../../lib/episode';
import type { ExecOptions, ExecResult } from './runtime';

/** One `docker exec`: output demultiplexed into stdout and stderr, optional stdin, exit code. */
export async function runExec(docker: Docker, container: Docker.Container, handle: SandboxHandle, argv: string[], options: ExecOptions): Promise<ExecResult> {
  const stdin = options.stdin;
  const withStdin = stdin !== undefined;
  const exec = await container.exec({
    Cmd: argv,
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    User: options.user ?? 'agent',
    WorkingDir: options.cwd ?? handle.workspace,
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
  });
  const stream = await exec.start({ hijack: withStdin, stdin: withStdin });
  const stdout = new Collector();
  const stderr = new Collector();
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  docker.modem.demuxStream(stream, stdout, stderr);
  if (withStdin) (stream as NodeJS.ReadWriteStream).end(stdin);
  await ended;
  return { exitCode: await exitCodeOf(exec), stdout: stdout.text(), stderr: stderr.text() };
}

/** The output stream can end a moment before Docker records the exit code. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('docker exec finished its output but reported no exit code within 2 s');
}

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

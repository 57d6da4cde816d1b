import { spawnSync } from 'node:child_process';

/**
 * The docker CLI, synchronously: loading a task file (`loadTask`) is synchronous, and importing an
 * MLGym task file may run MLGym's data scripts in a container or build a requirements image, once.
 */

export interface DockerResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function docker(args: string[], timeoutMs = 60 * 60_000): DockerResult {
  const run = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) return { status: -1, stdout: '', stderr: run.error.message };
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** The image's id, or undefined when it is not present. */
export function imageId(image: string): string | undefined {
  const inspect = docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  return inspect.status === 0 ? inspect.stdout.trim() : undefined;
}

export interface ContainerRun {
  image: string;
  /** host:container[:ro] */
  binds: string[];
  workdir: string;
  command: string[];
  /** Defaults to the calling user, so the files it writes into bind mounts are ours to move. */
  user?: string;
}

/** The calling user as docker's --user wants it. */
export const callingUser = () => (typeof process.getuid === 'function' ? `${process.getuid()}:${process.getgid?.() ?? 0}` : '0:0');

/** Runs a command in a throwaway container without network, with HOME in /tmp. */
export function runOffline(run: ContainerRun): DockerResult {
  return docker([
    'run',
    '--rm',
    '--network',
    'none',
    '--user',
    run.user ?? callingUser(),
    '--env',
    'HOME=/tmp',
    '--workdir',
    run.workdir,
    ...run.binds.flatMap((b) => ['--volume', b]),
    '--entrypoint',
    run.command[0],
    run.image,
    ...run.command.slice(1),
  ]);
}

/** The last lines of a command's output, for an error message that stays one line. */
export function lastLines(result: DockerResult, lines = 3): string {
  return `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-lines).join(' | ');
}

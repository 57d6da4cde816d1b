import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { TaskConfig } from '../../lib/task-config';
import { demuxBuffer, dockerCall, dockerClient, statusCode } from './docker-client';
import { SandboxImageMissingError } from './errors';
import { runProcess } from './host-process';
import type { PrepareOptions } from './task-data';

/** The two ways a task's prepare script runs; prepareTaskData (task-data.ts) stages and checks the result. */

export interface PrepareRun {
  exitCode: number;
  output: string;
}

/** One run of a task's prepare script into `staging`, with its download cache. */
export interface PrepareJob extends PrepareOptions {
  task: TaskConfig;
  taskDir: string;
  staging: string;
  cacheDir: string;
}

function scriptArgs(job: PrepareJob, out: string, source: string | undefined): string[] {
  return [job.task.data!.prepare, '--out', out, ...(job.variant === 'small' ? ['--small'] : []), ...(source ? ['--source', source] : [])];
}

/** In the task's image (docker runtime): the script's dependencies are the image's. */
export async function prepareInContainer(job: PrepareJob): Promise<PrepareRun> {
  const { task, taskDir, staging, cacheDir: cache, ...options } = job;
  const docker = dockerClient();
  await fs.mkdir(cache, { recursive: true });
  // The whole tasks folder is mounted: tasks share files through symlinks into tasks/_shared.
  const tasksRoot = path.dirname(taskDir);
  const binds = [`${tasksRoot}:/tasks:ro`, `${staging}:/out`, `${cache}:/cache`];
  if (options.sourceDir) binds.push(`${path.resolve(options.sourceDir)}:/source:ro`);
  let container;
  try {
    container = await dockerCall(() =>
      docker.createContainer({
        Image: task.image,
        User: 'root',
        WorkingDir: `/tasks/${path.basename(taskDir)}`,
        Entrypoint: ['python3', ...scriptArgs(job, '/out', options.sourceDir ? '/source' : undefined)],
        Cmd: [],
        // The image keeps the Hugging Face libraries offline for sandboxes; preparing may download.
        Env: ['HF_HOME=/cache/hf', 'HF_HUB_OFFLINE=0', 'HF_DATASETS_OFFLINE=0', 'TRANSFORMERS_OFFLINE=0', 'PYTHONUNBUFFERED=1'],
        HostConfig: { Binds: binds, NetworkMode: options.variant === 'small' ? 'none' : 'bridge', Init: true },
        Labels: { 'mlgym.role': 'prepare', 'mlgym.task': task.id },
      }),
    );
  } catch (err) {
    if (statusCode(err) === 404) throw new SandboxImageMissingError(task.image);
    throw err;
  }
  try {
    await container.start();
    const stream = await container.logs({ follow: true, stdout: true, stderr: true });
    const lines: string[] = [];
    let pending = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        options.onOutput?.(line);
      }
    });
    docker.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('error', () => resolve());
    });
    if (pending) lines.push(pending);
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (lines.length === 0) {
      const { stdout, stderr } = demuxBuffer(await container.logs({ stdout: true, stderr: true, follow: false }));
      lines.push(stdout, stderr);
    }
    return { exitCode: StatusCode, output: lines.join('\n') };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** On the worker's machine (local runtime), with its python3. */
export async function prepareOnHost(job: PrepareJob): Promise<PrepareRun> {
  const { taskDir, staging, ...options } = job;
  const result = await runProcess(['python3', ...scriptArgs(job, staging, options.sourceDir && path.resolve(options.sourceDir))], {
    cwd: taskDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' } as Record<string, string>,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  for (const line of output.split('\n')) if (line) options.onOutput?.(line);
  return { exitCode: result.exitCode, output };
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { RuntimeKind } from '../../lib/episode';
import type { TaskConfig } from '../../lib/task-config';
import { demuxBuffer, dockerCall, dockerClient, statusCode } from './docker-client';
import { SandboxImageMissingError, TaskDataError } from './errors';
import { removeHostTree } from './host-fs';
import { runProcess } from './host-process';
import { repoRoot } from './paths';

/**
 * Prepared task data: a task's `prepare` script fetches (or, for the small variant, generates) its
 * data once per machine into <data root>/<task>/<variant>/{public,hidden}, outside every workspace.
 * Sandboxes get public/ read-only as data/; only the trusted evaluation gets hidden/.
 */

export const DATA_VARIANTS = ['full', 'small'] as const;
export type DataVariant = (typeof DATA_VARIANTS)[number];

export interface PreparedData {
  variant: DataVariant;
  dir: string;
  publicDir: string;
  hiddenDir: string;
}

/** Written last into a prepared folder: its presence means the preparation finished. */
export const COMPLETE_MARKER = '.prepared.json';

/** The variant this worker's episodes use: MLGYM_DATA, `full` unless set. */
export function dataVariant(env: NodeJS.ProcessEnv = process.env): DataVariant {
  const value = env.MLGYM_DATA ?? 'full';
  if (!(DATA_VARIANTS as readonly string[]).includes(value)) {
    throw new TaskDataError(`MLGYM_DATA must be one of ${DATA_VARIANTS.join(', ')}, not "${value}"`);
  }
  return value as DataVariant;
}

export function dataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLGYM_DATA_DIR ? path.resolve(env.MLGYM_DATA_DIR) : path.join(repoRoot, '.mlgym', 'data');
}

export function dataLocation(taskId: string, variant: DataVariant): PreparedData {
  const dir = path.join(dataRoot(), taskId, variant);
  return { variant, dir, publicDir: path.join(dir, 'public'), hiddenDir: path.join(dir, 'hidden') };
}

export async function findPreparedData(taskId: string, variant: DataVariant): Promise<PreparedData | undefined> {
  const location = dataLocation(taskId, variant);
  const done = await fs.stat(path.join(location.dir, COMPLETE_MARKER)).catch(() => undefined);
  return done ? location : undefined;
}

export interface PrepareOptions {
  variant: DataVariant;
  runtime: RuntimeKind;
  /** A folder holding manually downloaded source files, passed to the script as --source. */
  sourceDir?: string;
  /** Prepare again even when prepared data exists. */
  force?: boolean;
  /** Receives the script's output line by line (progress for the CLI). */
  onOutput?: (line: string) => void;
}

/**
 * Runs the task's prepare script (in the task's image for docker, on the host for local) into a
 * temporary folder and renames it into place when it succeeded, so a crash or a concurrent
 * preparation never leaves half-written data where an episode would use it.
 */
export async function prepareTaskData(task: TaskConfig, taskDir: string, options: PrepareOptions): Promise<PreparedData> {
  if (!task.data) throw new TaskDataError(`task ${task.id} has no data: section; it has nothing to prepare`);
  const location = dataLocation(task.id, options.variant);
  if (!options.force) {
    const existing = await findPreparedData(task.id, options.variant);
    if (existing) return existing;
  }
  const staging = `${location.dir}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(staging, { recursive: true });
  try {
    const run = options.runtime === 'docker' ? prepareInContainer : prepareOnHost;
    const result = await run(task, taskDir, staging, options);
    if (result.exitCode !== 0) {
      const tail = result.output.trim().split('\n').slice(-20).join('\n');
      throw new TaskDataError(
        `preparing the ${options.variant} data of ${task.id} failed (exit ${result.exitCode})` +
          (task.data.source ? `; its source: ${task.data.source}` : '') +
          `\n${tail}`,
      );
    }
    if (!(await isDirectory(path.join(staging, 'public')))) {
      throw new TaskDataError(`${task.id}: ${task.data.prepare} finished but wrote no public/ folder`);
    }
    // The agent (another uid) reads public/; answers stay root-only, since evaluators run
    // submitted code as an unprivileged user beside them.
    await chmodTree(path.join(staging, 'public'), 0o755, 0o644);
    await chmodTree(path.join(staging, 'hidden'), 0o700, 0o600);
    await fs.writeFile(
      path.join(staging, COMPLETE_MARKER),
      JSON.stringify({ task: task.id, variant: options.variant, image: task.image, source: options.sourceDir ?? null, prepared_at: new Date().toISOString() }, null, 2),
    );
    if (options.force) await removeHostTree(location.dir);
    try {
      await fs.rename(staging, location.dir);
    } catch (err) {
      // Another preparation finished first: its result is as good as ours.
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    return location;
  } finally {
    await removeHostTree(staging);
  }
}

/**
 * The data an episode's sandbox needs: undefined for tasks without a data: section, the prepared
 * data when present, the small variant prepared on the spot (seconds, offline); the full variant
 * can take hours to download, so it must be prepared beforehand with `mlgym tasks prepare`.
 */
export async function ensureTaskData(task: TaskConfig, taskDir: string, runtime: RuntimeKind): Promise<PreparedData | undefined> {
  if (!task.data) return undefined;
  const variant = dataVariant();
  const found = await findPreparedData(task.id, variant);
  if (found) return found;
  if (variant === 'small') return prepareTaskData(task, taskDir, { variant, runtime });
  throw new TaskDataError(
    `the data of task ${task.id} is not prepared on this machine (${dataLocation(task.id, variant).dir}): ` +
      `run \`npx mlgym tasks prepare ${task.id}\` first, or set MLGYM_DATA=small on the worker for the small offline sample`,
  );
}

interface PrepareRun {
  exitCode: number;
  output: string;
}

function scriptArgs(task: TaskConfig, out: string, source: string | undefined, options: PrepareOptions): string[] {
  return [task.data!.prepare, '--out', out, ...(options.variant === 'small' ? ['--small'] : []), ...(source ? ['--source', source] : [])];
}

async function prepareInContainer(task: TaskConfig, taskDir: string, staging: string, options: PrepareOptions): Promise<PrepareRun> {
  const docker = dockerClient();
  const cache = path.join(dataRoot(), '_cache');
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
        Entrypoint: ['python3', ...scriptArgs(task, '/out', options.sourceDir ? '/source' : undefined, options)],
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

async function prepareOnHost(task: TaskConfig, taskDir: string, staging: string, options: PrepareOptions): Promise<PrepareRun> {
  const result = await runProcess(['python3', ...scriptArgs(task, staging, options.sourceDir && path.resolve(options.sourceDir), options)], {
    cwd: taskDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' } as Record<string, string>,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  for (const line of output.split('\n')) if (line) options.onOutput?.(line);
  return { exitCode: result.exitCode, output };
}

async function chmodTree(target: string, dirMode: number, fileMode: number): Promise<void> {
  const stat = await fs.lstat(target).catch(() => undefined);
  if (!stat || stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    await fs.chmod(target, dirMode);
    for (const name of await fs.readdir(target)) await chmodTree(path.join(target, name), dirMode, fileMode);
  } else {
    await fs.chmod(target, fileMode);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RuntimeKind } from '../../lib/episode';
import type { TaskConfig } from '../../lib/task-config';
import { dataVariantOf } from '../../lib/task-scale';
import { TaskDataError } from './errors';
import { removeHostTree } from './host-fs';
import { repoRoot } from './paths';
import { sandboxRuntime } from './runtimes';

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

/** The variant a task's episodes use: its scale's, or (tasks resolved before scales existed) the worker's MLGYM_DATA. */
export const variantFor = (task: Pick<TaskConfig, 'scale'>): DataVariant => (task.scale ? dataVariantOf(task.scale) : dataVariant());

/** The variant this worker's episodes use when their task names no scale: MLGYM_DATA, `full` unless set. */
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
    const cacheDir = path.join(dataRoot(), '_cache');
    const result = await sandboxRuntime(options.runtime).prepareData({ task, taskDir, staging, cacheDir, ...options });
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
      JSON.stringify(
        { task: task.id, variant: options.variant, image: task.image, source: options.sourceDir ?? null, prepared_at: new Date().toISOString() },
        null,
        2,
      ),
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
  const variant = variantFor(task);
  const found = await findPreparedData(task.id, variant);
  if (found) return found;
  if (variant === 'small') return prepareTaskData(task, taskDir, { variant, runtime });
  throw new TaskDataError(unpreparedMessage(task));
}

/** Why a task's full (paper-scale) data cannot be used, and what to run. */
export function unpreparedMessage(task: Pick<TaskConfig, 'id' | 'scale'>): string {
  const where = dataLocation(task.id, 'full').dir;
  return task.scale
    ? `the paper-scale data of task ${task.id} is not prepared on this machine (${where}): run \`npx mlgym tasks prepare ${task.id} --scale paper\` first, or run at --scale small`
    : `the data of task ${task.id} is not prepared on this machine (${where}): ` +
        `run \`npx mlgym tasks prepare ${task.id}\` first, or set MLGYM_DATA=small on the worker for the small offline sample`;
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

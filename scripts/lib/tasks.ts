import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describeIssues, TaskConfig } from '../../lib/task-config';
import { REPO_ROOT } from './settings';
import { importMlgymTask, isMlgymTaskFile } from './mlgym-import';
import { UsageError } from './output';

export const TASKS_DIR = path.join(REPO_ROOT, 'tasks');

export interface LoadedTask {
  config: TaskConfig;
  /** Absolute folder the task's relative paths resolve against. */
  dir: string;
  file: string;
}

export class TaskError extends UsageError {}

/** Resolves a task id (a folder under tasks/) or a path to a task.yaml, validates it, checks its files. */
export function loadTask(idOrPath: string): LoadedTask {
  const file = resolveTaskFile(idOrPath);
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TaskError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (isMlgymTaskFile(file, raw)) {
    const id = (raw as { id?: unknown }).id;
    const ours = typeof id === 'string' && listTaskIds().includes(id) ? loadTask(id).config : undefined;
    return loadTask(importMlgymTask(file, raw, ours));
  }
  const parsed = TaskConfig.safeParse(raw);
  if (!parsed.success) {
    throw new TaskError(`${file}: invalid task config:\n${describeIssues(parsed.error)}`);
  }
  const dir = path.dirname(file);
  const config = parsed.data;
  const referenced = [
    ...config.starter_code,
    ...config.baseline_paths,
    ...config.evaluation_paths,
    ...config.evaluator_support_paths,
    ...config.hidden_files,
    ...(config.data ? [config.data.prepare] : []),
  ];
  const missing = referenced.filter((p) => !existsSync(path.resolve(dir, p)));
  if (missing.length) {
    throw new TaskError(`${file}: files named in the task do not exist (relative to ${dir}): ${missing.join(', ')}`);
  }
  if (config.data && existsSync(path.join(dir, 'data'))) {
    throw new TaskError(
      `${file}: the task has both a data: section and a data/ folder; the sandbox's data/ comes from one of them, so remove the folder or the section`,
    );
  }
  return { config, dir, file };
}

function resolveTaskFile(idOrPath: string): string {
  const asPath = path.resolve(idOrPath);
  if (existsSync(asPath)) return statSync(asPath).isDirectory() ? path.join(asPath, 'task.yaml') : asPath;
  const byId = path.join(TASKS_DIR, idOrPath, 'task.yaml');
  if (existsSync(byId)) return byId;
  throw new TaskError(`unknown task "${idOrPath}": not a file and not one of: ${listTaskIds().join(', ') || '(no tasks)'}; see \`mlgym tasks list\``);
}

export function listTaskIds(): string[] {
  if (!existsSync(TASKS_DIR)) return [];
  return readdirSync(TASKS_DIR)
    .filter((name) => existsSync(path.join(TASKS_DIR, name, 'task.yaml')))
    .sort();
}

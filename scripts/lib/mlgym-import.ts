import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { DatasetConfig, describeIssues, TaskConfig, type TaskConfigInput } from '../../lib/task-config';
import { UsageError } from './output';
import { REPO_ROOT } from './settings';

/**
 * Runs MLGym's own task files: `mlgym run --task <MLGym checkout>/configs/tasks/<x>.yaml`. MLGym
 * resolves starter code and local datasets against the checkout's root and dataset configs
 * against configs/; it copies starter files into the workspace by their base names and mounts a
 * local dataset at data/. This converts such a file into one of our task folders under
 * .mlgym/imported/ (starter files copied, the dataset folder linked) and returns its task.yaml.
 * Our fields MLGym lacks (priority metric, submission file, image) come from our task of the same
 * id when there is one, otherwise from MLGym's conventions.
 */

/** MLGym's TaskConfig fields, as our schema accepts them; MLGym names dataset configs by path. */
const MlgymTaskFile = TaskConfig.pick({
  id: true,
  name: true,
  description: true,
  task_entrypoint: true,
  training_timeout: true,
  requirements_path: true,
  use_generic_conda: true,
  starter_code: true,
  baseline_paths: true,
  baseline_scores: true,
  sample_submission: true,
  evaluation_paths: true,
  evaluation_read_only: true,
  memory_path: true,
})
  .extend({ dataset_configs: z.array(z.string()).default([]) })
  .passthrough();

/** MLGym's task files carry no priority metric; these are its lower-is-better metric names. */
const LOWER_IS_BETTER = new Set(['Time', 'val_loss', 'loss', 'rmse', 'RMSE', 'mse', 'MSE']);

/** True for a task file in MLGym's format (no `metric:`, inside a configs/tasks folder). */
export function isMlgymTaskFile(file: string, raw: unknown): boolean {
  return (
    typeof raw === 'object' && raw !== null && !('metric' in raw) && path.basename(path.dirname(file)) === 'tasks' && path.basename(path.dirname(path.dirname(file))) === 'configs'
  );
}

/**
 * Converts the MLGym task file into .mlgym/imported/<id>-<hash>/task.yaml and returns that path.
 * `ours` is our task of the same id, when we ship one.
 */
export function importMlgymTask(file: string, raw: unknown, ours: TaskConfig | undefined): string {
  const parsed = MlgymTaskFile.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${file}: not a valid MLGym task file:\n${describeIssues(parsed.error)}`);
  const mlgym = parsed.data;
  const configsDir = path.dirname(path.dirname(file));
  const checkout = path.dirname(configsDir);

  const target = path.join(REPO_ROOT, '.mlgym', 'imported', `${mlgym.id}-${createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 8)}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });

  // Starter files land in the workspace by base name, as MLGym copies them.
  const starter = mlgym.starter_code.map((rel) => {
    const source = path.join(checkout, rel);
    if (!existsSync(source)) throw new UsageError(`${file}: starter_code ${rel} does not exist in the MLGym checkout ${checkout}`);
    const name = path.basename(rel);
    cpSync(source, path.join(target, name), { recursive: true, dereference: true });
    return name;
  });

  const datasets = mlgym.dataset_configs.map((rel) => {
    const datasetFile = path.join(configsDir, rel);
    if (!existsSync(datasetFile)) throw new UsageError(`${file}: dataset config ${rel} not found at ${datasetFile}`);
    const dataset = DatasetConfig.safeParse(YAML.parse(readFileSync(datasetFile, 'utf8')));
    if (!dataset.success) throw new UsageError(`${datasetFile}: not a valid MLGym dataset config:\n${describeIssues(dataset.error)}`);
    return dataset.data;
  });
  for (const dataset of datasets.filter((d) => d.is_local)) {
    const dataDir = path.join(checkout, dataset.data_path);
    if (!existsSync(dataDir)) {
      throw new UsageError(
        `${file}: the dataset "${dataset.name}" should be in ${dataDir}, which does not exist. MLGym does not ship it: ` +
          `put the data there (see the MLGym README), or run our version of the task with \`--task ${mlgym.id}\`, which prepares its data itself`,
      );
    }
    symlinkSync(dataDir, path.join(target, 'data'));
  }

  const metricName = ours?.metric.name ?? Object.keys(mlgym.baseline_scores[0] ?? {})[0];
  if (!metricName) throw new UsageError(`${file}: no baseline_scores to take the priority metric from, and we ship no task "${mlgym.id}"`);
  // Checked even when we ship the task: MLGym's checkpoint submissions cannot be scored as one file.
  const mlgymSubmission = submissionFor(mlgym.task_entrypoint, starter, mlgym.evaluation_paths, file);
  const submission = ours?.submission_path ?? mlgymSubmission;
  const evaluation = mlgym.evaluation_paths.map((p) => path.basename(p));
  const baselines = new Set(mlgym.baseline_paths.map((p) => path.basename(p)));
  // The evaluator gets MLGym's own copies of the starter files it may import (opponents, solvers):
  // those are read-only in the sandbox; the submission and the baselines stay the agent's.
  const support = starter.filter((name) => !evaluation.includes(name) && name !== submission && !baselines.has(name) && !name.endsWith('.csv'));
  const config: TaskConfigInput = {
    id: mlgym.id,
    name: mlgym.name,
    description: mlgym.description,
    dataset_configs: datasets.map(({ name, description, data_path, is_local }) => ({ name, description, data_path, is_local })),
    task_entrypoint: mlgym.task_entrypoint,
    training_timeout: mlgym.training_timeout,
    starter_code: starter.filter((name) => !evaluation.includes(name) && !support.includes(name)),
    baseline_paths: mlgym.baseline_paths.map((p) => path.basename(p)),
    baseline_scores: mlgym.baseline_scores,
    sample_submission: mlgym.sample_submission ? path.basename(mlgym.sample_submission) : null,
    evaluation_paths: evaluation,
    evaluator_support_paths: support,
    domain: ours?.domain ?? 'general',
    metric: { name: metricName, direction: ours?.metric.direction ?? (LOWER_IS_BETTER.has(metricName) ? 'min' : 'max') },
    submission_path: submission,
    image: ours?.image ?? (mlgym.task_entrypoint === 'PythonSubmissionTasks' ? 'mlgym/task-python:latest' : 'mlgym/task-ml:latest'),
    resources: ours?.resources,
    // MLGym's remote datasets are fetched by the agent's code and MLGym's evaluators at run time.
    network: datasets.some((d) => !d.is_local),
    baseline_source: `MLGym's task file ${path.resolve(file)}, run with MLGym's own evaluator`,
  };
  const taskFile = path.join(target, 'task.yaml');
  writeFileSync(taskFile, `# Imported from ${path.resolve(file)}; regenerated on every run.\n${YAML.stringify(config)}`);
  return taskFile;
}

function submissionFor(entrypoint: string, starter: string[], evaluation: string[], file: string): string {
  if (entrypoint === 'CSVSubmissionTasks') return 'submission.csv';
  if (entrypoint === 'PythonSubmissionTasks') {
    const code = starter.find((name) => name.endsWith('.py') && !evaluation.includes(name) && name !== 'target.py');
    if (code) return code;
  }
  throw new UsageError(
    `${file}: MLGym's ${entrypoint} tasks submit a folder of checkpoints, which this harness scores only ` +
      `through its own version of the task: run it with --task <id> (see \`mlgym tasks list\`)`,
  );
}

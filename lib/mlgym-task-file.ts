import { z } from 'zod';
import { type DatasetConfig, type Integrity, issueField, type SubmissionKind, TaskConfig, type TaskConfigInput } from './task-config';

/**
 * MLGym's own task files (`<MLGym checkout>/configs/tasks/<x>.yaml`) as this harness runs them:
 * their schema, what each of MLGym's task classes (`task_entrypoint`) submits and how MLGym
 * evaluates it, and the conversion into one of our task configs. Pure: reading the checkout,
 * preparing data and building images happen in scripts/lib/mlgym-import.ts.
 */

/** A problem with one field of an MLGym task file; the importer prefixes the file's path. */
export class MlgymFileProblem extends Error {
  override name = 'MlgymFileProblem';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** MLGym's task classes (mlgym/environment/tasks.py), by the name task files give them. */
export const MLGYM_ENTRYPOINTS = ['CSVSubmissionTasks', 'ModelSubmissionTasks', 'LMSubmissionTasks', 'PythonSubmissionTasks'] as const;
export type MlgymEntrypoint = (typeof MLGYM_ENTRYPOINTS)[number];

/** MLGym's TaskConfig fields as our schema accepts them, with MLGym's defaults where ours differ. */
const MlgymTaskFile = TaskConfig.pick({
  id: true,
  name: true,
  description: true,
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
  .extend({
    dataset_configs: z.array(z.string()).default([]),
    task_entrypoint: z.string().default('CSVSubmissionTasks'),
    // MLGym's default when a file sets none (MLGYM_AGENT_LONG_TIMEOUT, 3600 s).
    training_timeout: z.number().int().positive().default(3600),
  })
  .passthrough();
export type MlgymTaskFile = z.infer<typeof MlgymTaskFile>;

/** Parses a task file; the first bad field becomes the problem, so the error is one line. */
export function parseMlgymTaskFile(raw: unknown): MlgymTaskFile {
  const parsed = MlgymTaskFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MlgymFileProblem(issueField(issue), issue.message);
  }
  const file = parsed.data;
  if (!file.use_generic_conda && !file.requirements_path) {
    throw new MlgymFileProblem('requirements_path', 'missing: MLGym needs a requirements file when use_generic_conda is false');
  }
  return file;
}

interface EntrypointRules {
  kind: SubmissionKind;
  integrity: Integrity;
  /** The workspace path whose presence means there is something to score. */
  submission(starter: string[], evaluation: string[]): string | undefined;
  /** MLGym's evaluation command, run with the workspace as working directory. */
  command(evaluator: string, gpus: number): string;
}

const RULES: Record<MlgymEntrypoint, EntrypointRules> = {
  // The evaluator reads only the CSV, which MLGym passes by path.
  CSVSubmissionTasks: {
    kind: 'file',
    integrity: 'trusted',
    submission: () => 'submission.csv',
    command: (evaluator) => `python ${evaluator} --submission_file submission.csv`,
  },
  // The evaluator imports the agent's module (the starter .py it does not own; target.py is the
  // opponent) into its own process.
  PythonSubmissionTasks: {
    kind: 'file',
    integrity: 'mlgym-evaluator',
    submission: (starter, evaluation) => starter.find((name) => name.endsWith('.py') && !evaluation.includes(name) && name !== 'target.py'),
    command: (evaluator) => `python ${evaluator}`,
  },
  // MLGym passes the first YAML file found in the workspace; the evaluator unpickles checkpoints/
  // and imports the agent's src/ to rebuild the network.
  ModelSubmissionTasks: {
    kind: 'workspace',
    integrity: 'mlgym-evaluator',
    submission: () => 'checkpoints',
    command: (evaluator) => `python ${evaluator} --config_fname "$(find . -type f -name '*.yaml' | head -n 1)"`,
  },
  // MLGym runs the evaluator under torchrun, one process per GPU, on whatever model files the
  // agent saved (it imports the agent's model code). Up to one GPU, one process started directly
  // with the environment torchrun gives its only worker: the torchrun of Debian's torch 1.13 (our
  // default CPU image) fails on Python 3.11 before it starts anything.
  LMSubmissionTasks: {
    kind: 'workspace',
    integrity: 'mlgym-evaluator',
    submission: () => '.',
    command: (evaluator, gpus) =>
      gpus > 1
        ? `python -m torch.distributed.run --standalone --nproc_per_node=${gpus} ${evaluator}`
        : `env RANK=0 LOCAL_RANK=0 GROUP_RANK=0 WORLD_SIZE=1 LOCAL_WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 python ${evaluator}`,
  },
};

export function entrypointRules(entrypoint: string): EntrypointRules {
  if (!(MLGYM_ENTRYPOINTS as readonly string[]).includes(entrypoint)) {
    throw new MlgymFileProblem('task_entrypoint', `unknown task class "${entrypoint}" (MLGym's are ${MLGYM_ENTRYPOINTS.join(', ')})`);
  }
  return RULES[entrypoint as MlgymEntrypoint];
}

/** MLGym's task files carry no priority metric; these are its lower-is-better metric names. */
const LOWER_IS_BETTER = new Set(['Time', 'val_loss', 'loss', 'rmse', 'RMSE', 'mse', 'MSE']);

export const baseName = (rel: string) => rel.replace(/\/+$/, '').split('/').pop() ?? rel;

export interface ImportedTaskParts {
  mlgym: MlgymTaskFile;
  /** Absolute path of the MLGym task file. */
  file: string;
  /** Starter files and folders as they land in the workspace: by base name, as MLGym copies them. */
  starter: string[];
  datasets: DatasetConfig[];
  /** Our task of the same id, when we ship one: it lends the priority metric, domain and resources. */
  ours: TaskConfig | undefined;
  image: string;
  /** Workspace folders holding local copies of Hub datasets, read-only for agent and evaluator. */
  hubFolders: string[];
  /** Answer files in data/ that only the evaluation gets. */
  hiddenFiles: string[];
}

interface CheckedTask {
  rules: EntrypointRules;
  evaluation: string[];
  metricName: string;
  submission: string;
}

/** Checks what can be checked from the file alone, so that nothing is made for a file that cannot run. */
export function checkMlgymTask(mlgym: MlgymTaskFile, starter: string[], ours: TaskConfig | undefined): CheckedTask {
  const rules = entrypointRules(mlgym.task_entrypoint);
  const evaluation = mlgym.evaluation_paths.map(baseName);
  if (evaluation.length === 0) throw new MlgymFileProblem('evaluation_paths', 'empty: MLGym runs the first evaluation path, and there is none');
  // Both are workspace paths in MLGym, so they must come with the starter files.
  const missing = [...evaluation, ...mlgym.baseline_paths].filter((rel) => !starter.includes(rel.split('/')[0]));
  if (missing.length) {
    const field = evaluation.includes(missing[0]) ? 'evaluation_paths' : 'baseline_paths';
    throw new MlgymFileProblem(field, `${missing[0]} is not in the workspace: starter_code brings ${starter.join(', ') || 'nothing'}`);
  }
  const metricName = ours?.metric.name ?? Object.keys(mlgym.baseline_scores[0] ?? {})[0];
  if (!metricName) throw new MlgymFileProblem('baseline_scores', `empty: no metric to rank by, and we ship no task "${mlgym.id}" to take one from`);
  const submission = rules.submission(starter, evaluation);
  if (!submission)
    throw new MlgymFileProblem(
      'starter_code',
      `${mlgym.task_entrypoint} scores a Python file the agent edits, and starter_code has none besides the evaluator and target.py`,
    );
  return { rules, evaluation, metricName, submission };
}

/** Our task config for an MLGym task file whose files and data the importer has laid out. */
export function convertMlgymTask(parts: ImportedTaskParts): TaskConfigInput {
  const { mlgym, starter, ours } = parts;
  const { rules, evaluation, metricName, submission } = checkMlgymTask(mlgym, starter, ours);
  const baselineFiles = new Set(mlgym.baseline_paths.map(baseName));
  // For file submissions, the evaluator gets MLGym's own copies of the other starter files it may
  // import (opponents, solvers): read-only in the sandbox. Workspace submissions bring the agent's.
  const support =
    rules.kind === 'file'
      ? starter.filter((name) => !evaluation.includes(name) && name !== submission && !baselineFiles.has(name) && !name.endsWith('.csv'))
      : [];
  const resources = ours?.resources;
  return {
    id: mlgym.id,
    name: mlgym.name,
    description: mlgym.description,
    dataset_configs: parts.datasets.map(({ name, description, data_path, is_local }) => ({ name, description, data_path, is_local })),
    task_entrypoint: mlgym.task_entrypoint,
    training_timeout: mlgym.training_timeout,
    requirements_path: mlgym.requirements_path,
    use_generic_conda: mlgym.use_generic_conda,
    starter_code: starter.filter((name) => !evaluation.includes(name) && !support.includes(name)),
    // Workspace paths in MLGym (e.g. src/train.py), which is where the starter files put them.
    baseline_paths: mlgym.baseline_paths,
    baseline_scores: mlgym.baseline_scores,
    sample_submission: mlgym.sample_submission ? baseName(mlgym.sample_submission) : null,
    evaluation_paths: evaluation,
    evaluator_support_paths: [...support, ...parts.hubFolders],
    hidden_files: parts.hiddenFiles,
    domain: ours?.domain ?? 'general',
    metric: { name: metricName, direction: ours?.metric.direction ?? (LOWER_IS_BETTER.has(metricName) ? 'min' : 'max') },
    submission_path: submission,
    submission_kind: rules.kind,
    integrity: rules.integrity,
    evaluation_command: rules.command(evaluation[0], resources?.gpus ?? 0),
    image: parts.image,
    resources,
    // Remote datasets are served from local copies: the sandbox needs no network.
    network: false,
    baseline_source: `MLGym's task file ${parts.file}, scored by MLGym's own evaluator`,
  };
}

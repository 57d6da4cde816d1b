import { z } from 'zod';

/**
 * A benchmark task. Accepts MLGym's TaskConfig fields (so MLGym task files load as they are) plus
 * our own: the priority metric and its direction, the sandbox image and resources, hidden files.
 * Paths are relative to the folder holding task.yaml.
 */
export const MetricDirection = z.enum(['max', 'min']);
export type MetricDirection = z.infer<typeof MetricDirection>;

/** The smallest sandbox disk: the command runner's share (at least 16 MB) and the agent's files both fit. */
export const MIN_DISK_MB = 64;
/** Room for MLGym's checkpoints, pip installs and caches; data is mounted read-only and does not count. */
export const DEFAULT_DISK_MB = 20480;

export const TaskResources = z
  .object({
    cpus: z.number().positive().default(1),
    memory_mb: z.number().int().positive().default(2048),
    pids: z.number().int().positive().default(512),
    gpus: z.number().int().nonnegative().default(0),
    /**
     * MB the sandbox may write, all told: workspace, home, /tmp, its commands' output (see
     * activities/sandbox/disk.ts). Each evaluation gets a disk of the same size.
     */
    disk_mb: z.number().int().min(MIN_DISK_MB).default(DEFAULT_DISK_MB),
  })
  .strict();
export type TaskResources = z.infer<typeof TaskResources>;

export const DatasetConfig = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    data_path: z.string().min(1),
    is_local: z.boolean().default(true),
  })
  .passthrough();
export type DatasetConfig = z.infer<typeof DatasetConfig>;

/**
 * A task whose data is prepared rather than shipped: `prepare` is a script in the task folder run
 * as `python3 <prepare> --out DIR [--small] [--source DIR]` (see tasks/README.md); it writes
 * DIR/public (the agent's read-only data/) and DIR/hidden (labels and answers, evaluator only).
 */
export const TaskData = z
  .object({
    prepare: z.string().min(1),
    /** Where the real data comes from, for people and for error messages. */
    source: z.string().default(''),
  })
  .strict();
export type TaskData = z.infer<typeof TaskData>;

/**
 * How far a score can be trusted. `trusted`: the evaluator never imports, unpickles or runs the
 * agent's files in its own process (our tasks). `mlgym-evaluator`: MLGym's own evaluator, which
 * imports the agent's code or unpickles its checkpoints, so the agent's files could change their
 * own score; it runs as the unprivileged user in the fresh evaluation container.
 */
export const Integrity = z.enum(['trusted', 'mlgym-evaluator']);
export type Integrity = z.infer<typeof Integrity>;

/**
 * What the evaluation gets from the sandbox: `file`, the submission_path file; `workspace`, the
 * agent's whole workspace but data/ (MLGym's checkpoint and model submissions: the evaluator reads
 * checkpoints, configs and the code that loads them), submission_path being what must exist.
 */
export const SubmissionKind = z.enum(['file', 'workspace']);
export type SubmissionKind = z.infer<typeof SubmissionKind>;

/** Which split `validate` scores; `submit` always scores the test split. */
export const ValidateSplit = z.enum(['validation', 'test']);
export type ValidateSplit = z.infer<typeof ValidateSplit>;

/** How big a task runs: `small`, CPU-sized data and starters (CI, the demo); `paper`, MLGym-Bench's sizes. */
export const Scale = z.enum(['small', 'paper']);
export type Scale = z.infer<typeof Scale>;

/**
 * What the agent's sandbox may reach: `strict`, no network (ours); `mlgym`, MLGym-Bench's
 * conditions: network on, so pip installs work. Hidden labels stay out of the sandbox either way.
 */
export const Conditions = z.enum(['strict', 'mlgym']);
export type Conditions = z.infer<typeof Conditions>;

/**
 * What changes at one scale; a field left out keeps the task's top-level value, except the
 * baseline: a scale that declares no baseline_scores has none until one is measured (`mlgym tasks
 * baseline`), because a number from another scale would not be the shown starter's score.
 */
export const ScaleSettings = z
  .object({
    resources: z
      .object({
        cpus: z.number().positive(),
        memory_mb: z.number().int().positive(),
        gpus: z.number().int().nonnegative(),
        disk_mb: z.number().int().min(MIN_DISK_MB),
      })
      .partial()
      .strict()
      .optional(),
    training_timeout: z.number().int().positive().optional(),
    baseline_scores: z.array(z.record(z.string(), z.number())).optional(),
    /** Where this scale's baseline comes from: MLGym's paper (only where this scale reproduces MLGym's setup) or measured here. */
    baseline_source: z.string().optional(),
    /** `mlgym`: MLGym's published number, reproduced by this scale's setup; `measured`: the starter's score measured here. */
    baseline_origin: z.enum(['mlgym', 'measured']).optional(),
    /** Workspace files replaced at this scale: workspace path -> path in the task folder (an RL config, say). */
    starter_files: z.record(z.string(), z.string()).default({}),
    /** What of MLGym's setup this scale does not reproduce, and why; shown in the task list, the prompt and the report. */
    differences: z.string().optional(),
    /**
     * The baseline depends on the machine (3-SAT's Time): a sweep measures it on its own workers
     * before scoring AUP (lib/host-baselines.ts), whatever baseline_scores says.
     */
    baseline_per_host: z.boolean().default(false),
  })
  .strict();
export type ScaleSettings = z.infer<typeof ScaleSettings>;

export const TaskConfig = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'id may hold letters, digits, _ . - only'),
    name: z.string().min(1),
    description: z.string().min(1),
    dataset_configs: z.array(z.union([z.string(), DatasetConfig])).default([]),
    task_entrypoint: z.string().default('PythonSubmissionTasks'),
    training_timeout: z.number().int().positive().default(1800),
    requirements_path: z.string().nullish(),
    use_generic_conda: z.boolean().default(true),
    starter_code: z.array(z.string()).default([]),
    baseline_paths: z.array(z.string()).default([]),
    baseline_scores: z.array(z.record(z.string(), z.number())).default([]),
    sample_submission: z.string().nullish(),
    evaluation_paths: z.array(z.string()).default([]),
    evaluation_read_only: z.boolean().default(true),
    memory_path: z.string().nullish(),
    // --- our own fields ---
    domain: z.string().default('general'),
    metric: z.object({ name: z.string().min(1), direction: MetricDirection }).strict(),
    /** The file in the workspace that `submit` scores (relative to the workspace). */
    submission_path: z.string().min(1),
    submission_kind: SubmissionKind.default('file'),
    integrity: Integrity.default('trusted'),
    /** Command run in the trusted evaluation context; it prints the metrics as JSON on stdout. */
    evaluation_command: z.string().default('python3 evaluate.py'),
    /** Extra trusted files the evaluator imports (opponents, env code): never taken from the agent. */
    evaluator_support_paths: z.array(z.string()).default([]),
    /** Files only the evaluator sees (test labels, answers). They never enter the agent's sandbox. */
    hidden_files: z.array(z.string()).default([]),
    image: z.string().default('mlgym/task-python:latest'),
    resources: TaskResources.default({ cpus: 1, memory_mb: 2048, pids: 512, gpus: 0, disk_mb: DEFAULT_DISK_MB }),
    network: z.boolean().default(false),
    /** Short command timeout in seconds; long runs use training_timeout via `long_run`. */
    command_timeout: z.number().int().positive().default(25),
    data: TaskData.nullish(),
    validate_split: ValidateSplit.default('test'),
    /** Where the baseline scores came from: MLGym's paper, or measured here. */
    baseline_source: z.string().default('measured here'),
    /**
     * The shell command, run in the workspace, that trains the starter and writes the submission
     * (absent: the starter file is the submission). `mlgym tasks baseline` runs it; it accepts
     * `--max-steps N` to bound training (the tests' paper-scale check).
     */
    baseline_command: z.string().nullish(),
    /** Per-scale settings (see ScaleSettings); a task without them runs the same at every scale. */
    scales: z.object({ small: ScaleSettings.optional(), paper: ScaleSettings.optional() }).strict().default({}),
    /**
     * The scale this config was resolved at (lib/task-scale.ts taskAtScale); task files leave it out.
     * The sandbox reads it: which prepared data, which starter files, MLGYM_SCALE for the starter
     * and the evaluator. Absent (episodes started before scales existed): the worker's MLGYM_DATA.
     */
    scale: Scale.optional(),
  })
  .strict();
export type TaskConfig = z.infer<typeof TaskConfig>;
export type TaskConfigInput = z.input<typeof TaskConfig>;

/** The field a zod issue is about, as a user writes it: `models.1.temperature`. */
export const issueField = (issue: z.core.$ZodIssue): string => (issue.path.length ? issue.path.join('.') : '(top level)');

/**
 * Formats a zod error so each line names the bad field, e.g. `metric.direction: Invalid option`;
 * `limit` keeps the first issues only (1 for a one-line message).
 */
export function describeIssues(error: z.ZodError, limit = Infinity): string {
  if (error.issues.length === 0) return 'unexpected shape';
  return error.issues
    .slice(0, limit)
    .map((issue) => `${issueField(issue)}: ${issue.message}`)
    .join('\n');
}

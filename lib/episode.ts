import { z } from 'zod';
import { AgentConfig } from './agent-config';
import { Conditions, Scale, TaskConfig } from './task-config';

export const RuntimeKind = z.enum(['docker', 'local']);
export type RuntimeKind = z.infer<typeof RuntimeKind>;

/** Where the sandbox of one episode lives; returned by prepareSandbox and carried by the workflow. */
export const SandboxHandle = z.object({
  runtime: RuntimeKind,
  episodeId: z.string(),
  /** Docker container id (docker runtime only). */
  containerId: z.string().optional(),
  /** The agent's workspace inside the sandbox (an absolute host path for the local runtime). */
  workspace: z.string(),
  /** Home directory of the agent inside the sandbox (tools keep their state there). */
  home: z.string(),
  /** Host that holds the sandbox, for routing and for the status query. */
  host: z.string(),
  /** The host's GPU ids the sandbox holds (absent: none). */
  gpus: z.array(z.string()).optional(),
});
export type SandboxHandle = z.infer<typeof SandboxHandle>;

export const ModelParams = z
  .object({
    temperature: z.number().min(0).max(2).default(0),
    top_p: z.number().gt(0).max(1).default(0.95),
    max_output_tokens: z.number().int().positive().default(4096),
    /** USD per million tokens; overrides the price table (needed for models the table lacks). */
    input_price_per_mtok: z.number().nonnegative().optional(),
    output_price_per_mtok: z.number().nonnegative().optional(),
    /** Context window in tokens; overrides the price table. */
    context_window: z.number().int().positive().optional(),
  })
  .strict();
export type ModelParams = z.infer<typeof ModelParams>;

/** Episodes recorded before the setting existed have no host_lost_after_sec: they get this. */
export const DEFAULT_HOST_LOST_AFTER_SEC = 120;

export const EpisodeLimits = z
  .object({
    max_steps: z.number().int().positive().default(50),
    /** USD; 0 disables the cost limit. */
    cost_limit_usd: z.number().nonnegative().default(4),
    /**
     * MLGym's re-queries after a malformed reply: the step exits as exit_format after this many; the
     * last re-query's reply is paid for but not read, as in MLGym.
     */
    max_format_retries: z.number().int().nonnegative().default(3),
    /** The history processor keeps this many most recent observations in full. */
    history_observations: z.number().int().nonnegative().default(5),
    /** Characters of command output shown to the model (head + tail); 0 (MLGym's way) shows it all. The full output is an artifact either way. */
    observation_chars: z.number().int().nonnegative().default(0),
    /**
     * The split `validate` scores: `test` as MLGym does, or `validation`, the task's own validation
     * split where it defines one (test otherwise). `submit` always scores test.
     */
    validate_split: z.enum(['test', 'validation']).default('test'),
    /** Steps per workflow run before continue-as-new (keeps each run's history small). */
    steps_per_run: z.number().int().positive().default(100),
    /**
     * Workspace snapshots (after every step that ran a command) store files up to this size; a
     * larger file is listed but not stored, and the step's record reports it. 0 turns snapshots off.
     */
    snapshot_max_file_mb: z.number().nonnegative().default(100),
    /**
     * A sandbox's host that neither heartbeats nor picks up work for this long is lost: the episode
     * moves to another host and restores its workspace from the last snapshot.
     */
    host_lost_after_sec: z.number().int().min(10).default(DEFAULT_HOST_LOST_AFTER_SEC),
  })
  .strict();
export type EpisodeLimits = z.infer<typeof EpisodeLimits>;

export const EpisodeInput = z.object({
  episodeId: z.string().min(1),
  /** Absolute path of the task folder on the worker's machine. */
  taskDir: z.string(),
  task: TaskConfig,
  /** `provider:model`, e.g. `openai:gpt-4o`, `anthropic:claude-sonnet-4-5`, `replay:/path/x.traj`. */
  model: z.string(),
  modelParams: ModelParams,
  runtime: RuntimeKind,
  limits: EpisodeLimits,
  sweepId: z.string().optional(),
  keepSandbox: z.boolean().default(false),
  /** The agent's prompts and interface settings (an MLGym agent YAML); absent: ours, DEFAULT_AGENT. */
  agent: AgentConfig.optional(),
  /** The scale `task` was resolved at (lib/task-scale.ts); absent in episodes started before scales. */
  scale: Scale.optional(),
  /** The sandbox's conditions (network); absent in episodes started before conditions: strict. */
  conditions: Conditions.optional(),
});
export type EpisodeInput = z.infer<typeof EpisodeInput>;
export type EpisodeInputArg = z.input<typeof EpisodeInput>;

export const Usage = z.object({ inputTokens: z.number(), outputTokens: z.number() });
export type Usage = z.infer<typeof Usage>;

/** One evaluation (validate or submit) as parsed from the evaluator's JSON. */
export const Evaluation = z.object({
  kind: z.enum(['validate', 'submit']),
  step: z.number(),
  metrics: z.record(z.string(), z.number()),
  /** The split scored; absent in episodes recorded before splits were recorded (then: test, except a validate on a task with a validation split). */
  split: z.enum(['test', 'validation']).optional(),
});
export type Evaluation = z.infer<typeof Evaluation>;

/** MLGym compares scores on the test split only: a validation-split score is a progress signal, not a result. */
export const isTestScore = (evaluation: Evaluation): boolean => evaluation.split !== 'validation';

export type ExitReason = 'submit' | 'max_steps' | 'exit_cost' | 'exit_context' | 'exit_format' | 'exit_cancel';

export type EpisodePhase = 'starting' | 'running' | 'paused' | 'blocked' | 'evaluating' | 'finishing' | 'done';

/** The compact state an episode carries across continue-as-new. Never whole conversations. */
export interface EpisodeProgress {
  step: number;
  /** Messages written to the stored transcript so far. */
  transcriptLength: number;
  /** Model calls made so far (replay providers index their recorded replies by this). */
  modelCalls: number;
  costUsd: number;
  usage: Usage;
  evaluations: Evaluation[];
  lastAction?: string;
  sandbox?: SandboxHandle;
  /** Limits raised by signal while running. */
  limits: EpisodeLimits;
  /** The step whose stored workspace snapshot describes the workspace now (none taken yet: absent). */
  snapshotStep?: number;
  /** Hosts this episode's sandbox was lost with, in order. */
  hostLosses?: HostLoss[];
}

/** A sandbox's host stopped answering: the episode went on elsewhere from its last snapshot. */
export interface HostLoss {
  host: string;
  /** The step whose command or evaluation was running when the host was found lost. */
  step: number;
  /** The snapshot the new sandbox's workspace was restored from (absent: none taken; a fresh workspace). */
  restoredFromStep?: number;
  /** Steps whose changes to the workspace are gone (after the snapshot, up to `step`). */
  lostSteps: number[];
  /** Where the episode went on. */
  newHost: string;
}

/**
 * How `mlgym episode resume` starts a new run of a failed, terminated or timed-out episode (the
 * workflow's third argument): the progress at `fromStep` is rebuilt from the stored artifacts, the
 * sandbox re-found or re-created, and its workspace brought back to the snapshot of that step.
 */
export interface ResumeRequest {
  /** The last step kept; the model calls and commands of later steps are made afresh. */
  fromStep: number;
  /** Limits as the earlier run last had them (they may have been raised by signal). */
  limits?: EpisodeLimits;
  /** The run that ended, and how, for the record. */
  previousRunId?: string;
  previousStatus?: string;
}

export interface EpisodeStatus {
  episodeId: string;
  phase: EpisodePhase;
  paused: boolean;
  step: number;
  maxSteps: number;
  costUsd: number;
  costLimitUsd: number;
  bestScore?: number;
  lastAction?: string;
  sandbox?: SandboxHandle;
  exitStatus?: string;
  /** Why the episode waits for a user (e.g. the provider rejected the API key); cleared by resume. */
  blockedReason?: string;
  hostLosses?: HostLoss[];
}

export interface EpisodeResult {
  episodeId: string;
  task: string;
  model: string;
  exitStatus: string;
  steps: number;
  costUsd: number;
  usage: Usage;
  /** Metrics of the final evaluation (the submission), if any. */
  score?: Record<string, number>;
  bestScore?: number;
  evaluations: Evaluation[];
  resultsPath: string;
  trajectoryPath: string;
}

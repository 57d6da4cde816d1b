import path from 'node:path';
import type { EpisodeInput } from '../../lib/episode';
import { modelSlug } from '../../lib/sweep-spec';

/**
 * MLGym's layout of a run on disk (run.py's run_name plus `_run_<i>`), which its analysis code
 * globs as `*<model>__<task>__<pattern>*` and its visualiser parses with `[^_]+` per name field:
 *
 *   <model>__<task>__<config>__t-<temp>__p-<top_p>__c-<cost limit>__install-0__parallel_agents_run_<i>/
 *     <task>.traj  results.json  args.yaml
 */
export interface MlgymRun {
  model: string;
  task: string;
  /** The agent config's file stem (`default` for MLGym's default agent). */
  config: string;
  temperature: number;
  topP: number;
  costLimitUsd: number;
  runIndex: number;
}

/** MLGym's published benchmark runs were launched with this run-name suffix. */
const SUFFIX = 'parallel_agents';

export function mlgymRunFolder(run: MlgymRun): string {
  return (
    `${run.model}__${run.task}__${run.config}__t-${fixed2(run.temperature)}__p-${fixed2(run.topP)}` +
    `__c-${fixed2(run.costLimitUsd)}__install-0__${SUFFIX}_run_${run.runIndex}`
  );
}

/**
 * Our model spec made filesystem-safe as sweep ids make it (`openai:gpt-4o` -> `openai-gpt-4o`,
 * `replay:/runs/best.traj` -> `replay-best`), with `_` turned into `-` too: MLGym's visualiser
 * reads the model as the folder name's first `_`-free field.
 */
export const mlgymModelName = (model: string): string => modelSlug(model).replace(/_/g, '-');

/** The agent YAML an episode used (`--agent-config`, a sweep's `agent_config`); undefined: our default agent. */
const agentConfigPath = (input: EpisodeInput): string | undefined => (input.agent && input.agent.source !== 'default' ? input.agent.source : undefined);

/** MLGym names the config by its file's stem; our default prompts play MLGym's default agent. */
export function configStem(input: EpisodeInput): string {
  const file = agentConfigPath(input);
  return file === undefined ? 'default' : path.basename(file).replace(/\.[^.]*$/, '');
}

/**
 * MLGym numbers the parallel runs of a setting from 0; a sweep cell's run number counts from 1
 * and sits at the end of its episode ids (`<sweep>--<task>--<model>--r<run>`, `--a<attempt>` for a
 * retry, see lib/sweep-spec.ts). Undefined for an id of another shape.
 */
export function sweepRunIndex(episodeId: string): number | undefined {
  const match = /--r(\d+)(?:--a\d+)?$/.exec(episodeId);
  return match ? Number(match[1]) - 1 : undefined;
}

/**
 * Python's `f"{x:.2f}"`, which MLGym's run names use. JavaScript's toFixed rounds an exact tie
 * (x = n + k/8 with k odd, e.g. 0.125) up; Python rounds it to the even hundredth.
 */
export function fixed2(x: number): string {
  const exactTie = Number.isInteger(x * 8) && !Number.isInteger(x * 4);
  if (!exactTie) return x.toFixed(2);
  const lower = Math.floor(x * 100);
  return ((lower % 2 === 0 ? lower : lower + 1) / 100).toFixed(2);
}

/**
 * The settings of an exported episode for its `args.yaml`, under the names MLGym's args.yaml uses
 * where MLGym has the setting; the rest of ours under `mlgym_temporal`.
 */
export function mlgymArgs(input: EpisodeInput, run: MlgymRun) {
  return {
    environment: {
      max_steps: input.limits.max_steps,
      container_type: input.runtime,
      task: input.task,
    },
    agent: {
      agent_config_path: agentConfigPath(input) ?? null,
      model: {
        model_name: input.model,
        per_instance_cost_limit: input.limits.cost_limit_usd,
        temperature: input.modelParams.temperature,
        top_p: input.modelParams.top_p,
      },
    },
    suffix: SUFFIX,
    mlgym_temporal: {
      episode_id: input.episodeId,
      sweep_id: input.sweepId ?? null,
      run_index: run.runIndex,
      task_dir: input.taskDir,
      model_params: input.modelParams,
      limits: input.limits,
    },
  };
}

/**
 * Renders an agent's templates as MLGym does: Python's str.format with the task's fields, the
 * system arguments (command docs, tools.env_variables), the shell state, the step counters and
 * the observation. The templates are checked when the agent is loaded (lib/agent-config.ts), so
 * rendering cannot fail on a placeholder.
 */
import type { AgentConfig } from './agent-config';
import { DEFAULT_AGENT } from './default-agent';
import { formatPython, pyIsBlank } from './python-str';
import type { TaskConfig } from './task-config';

export interface ShellState {
  open_file?: string;
  working_dir?: string;
}

/** The state MLGym reports before each model call: its shell state plus the step counters. */
export interface StepState extends ShellState {
  /** Steps taken so far (0 before the first). */
  step: number;
  maxSteps: number;
}

/** What rendering an observation needs of the agent: small enough to pass with every step. */
export type StepTemplates = Pick<AgentConfig, 'nextStepTemplate' | 'nextStepNoOutputTemplate' | 'env'>;

export function systemPrompt(agent: AgentConfig, task: TaskConfig, toolDocs: string): string {
  return formatPython(agent.systemTemplate, { ...taskVariables(task), ...systemVariables(agent, toolDocs) });
}

/** The first user message: the task template, then the strategy template when there is one. */
export function taskPrompt(agent: AgentConfig, task: TaskConfig, toolDocs: string, state: StepState): string {
  const vars = { ...taskVariables(task), ...systemVariables(agent, toolDocs), ...stateVariables(state), observation: '' };
  return [agent.taskTemplate, ...(agent.strategyTemplate === null ? [] : [agent.strategyTemplate])].map((template) => formatPython(template, vars)).join('\n');
}

/** The user message after a step: the observation, or the no-output template when it is blank. */
export function observationPrompt(observation: string, step: number, maxSteps: number, state: ShellState, agent: StepTemplates = DEFAULT_AGENT): string {
  const template = pyIsBlank(observation) ? agent.nextStepNoOutputTemplate : agent.nextStepTemplate;
  return formatPython(template, { ...agent.env, ...stateVariables({ ...state, step, maxSteps }), observation });
}

/** What the model is told after a malformed reply (MLGym shows it as is). */
export function formatErrorPrompt(agent: Pick<AgentConfig, 'formatError'> = DEFAULT_AGENT): string {
  return agent.formatError;
}

/** MLGym's task arguments: the task's fields, with its description's {dataset_docs} filled in. */
function taskVariables(task: TaskConfig): Record<string, unknown> {
  return { ...task, description: task.description.replaceAll('{dataset_docs}', datasetDocs(task)) };
}

/** MLGym's dataset docs: each dataset's name in capitals, a colon, its description, a blank line. */
function datasetDocs(task: TaskConfig): string {
  return task.dataset_configs
    .map((dataset) => (typeof dataset === 'string' ? { name: dataset, description: '' } : dataset))
    .map(({ name, description }) => `${name.toUpperCase()}:\n${description}\n\n`)
    .join('');
}

function systemVariables(agent: AgentConfig, toolDocs: string): Record<string, unknown> {
  return { command_docs: toolDocs, ...agent.env };
}

function stateVariables(state: StepState): Record<string, unknown> {
  return {
    current_step: state.step,
    remaining_steps: Math.max(0, state.maxSteps - state.step),
    open_file: state.open_file ?? 'n/a',
    working_dir: state.working_dir ?? 'n/a',
  };
}

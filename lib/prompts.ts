import type { TaskConfig } from './task-config';
import { renderToolDocs } from './tool-docs';

/**
 * Prompt templates. Written for this project in MLGym's spirit: a setting, the tool docs, the
 * response format, then the task; after each command, the observation and the shell state.
 */
export function systemPrompt(task: TaskConfig): string {
  return `SETTING: You are an autonomous machine learning researcher working in a command line interface, in a
sandbox with the task's files in your workspace. You improve a solution step by step, as a researcher
would: read the code, form a hypothesis, change the code, run it, and measure.

Each turn you run ONE command. Besides ordinary bash you have these special commands:

${renderToolDocs()}

Commands time out after ${task.command_timeout} seconds. For a long run (training), prefix the command with
\`long_run\`: it may then run for up to ${task.training_timeout} seconds. Interactive programs (vim, python
without a script, a pager) are not supported.

RESPONSE FORMAT: every reply has a DISCUSSION section with your reasoning, followed by exactly one command
in one fenced block, for example:

DISCUSSION
First I'll list the files in the workspace to see what the starter code contains.

\`\`\`
ls -a
\`\`\`

Use \`validate\` as often as you like to score your current solution without ending the task. When you are
satisfied, run \`submit\`: it scores your solution and ends the task. If you run out of steps or budget,
your current solution is submitted for you.`;
}

export function taskPrompt(task: TaskConfig, datasetDocs: string, workspace: string): string {
  const description = task.description.replace('{dataset_docs}', datasetDocs);
  const baseline = task.baseline_scores.length
    ? `\nBaseline scores of the starter solution: ${task.baseline_scores.map((s) => JSON.stringify(s)).join(', ')}.`
    : '';
  return `We're currently solving the following task.

TASK DESCRIPTION:
${description}

The file that is scored is \`${task.submission_path}\` in your workspace. The metric is ${task.metric.name}
(${task.metric.direction === 'max' ? 'higher' : 'lower'} is better).${baseline}

Your workspace is ${workspace}; the evaluator there is read-only and only for reading: scoring always uses
a trusted copy.

(Current Step: 0, Open file: n/a, Current directory: ${workspace})
bash-$`;
}

export interface ShellState {
  open_file?: string;
  working_dir?: string;
}

export function observationPrompt(observation: string, step: number, maxSteps: number, state: ShellState): string {
  const shown = observation.trim() === '' ? 'Your command ran successfully and did not produce any output.' : observation;
  return `${shown}
(Current Step: ${step}, Remaining Steps: ${Math.max(0, maxSteps - step)})
(Open file: ${state.open_file ?? 'n/a'})
(Current directory: ${state.working_dir ?? 'n/a'})
bash-$`;
}

export function evaluationObservation(kind: 'validate' | 'submit', metrics: Record<string, number>, baseline: TaskConfig['baseline_scores']): string {
  const lines = [`Your code produced a valid submission artefact.`, `Evaluation score: ${JSON.stringify(metrics)}`];
  if (baseline.length) lines.push(`Baseline score: ${JSON.stringify(baseline[0])}`);
  if (kind === 'validate') lines.push('This was a validation run; the task goes on until you run `submit`.');
  return lines.join('\n');
}

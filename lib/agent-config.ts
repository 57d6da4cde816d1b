/**
 * The agent's prompts and interface settings: MLGym's agent YAML (configs/agents/*.yaml) as this
 * harness honours it, and the resolved AgentConfig that travels in the episode input. Loading
 * checks every template against the variables MLGym fills it with, so a bad YAML fails before
 * anything starts, naming the field. Reading the files is the CLI's job; this module is pure.
 */
import { z } from 'zod';
import { HistoryProcessor } from './history';
import { fieldNames, FormatSyntaxError, formatPython, pyStr } from './python-str';
import { issueField, TaskConfig } from './task-config';

/** The reply parsers whose format (a discussion and a fenced command) the harness parses. */
export const OUTPUT_PARSERS = ['MLGymThoughtActionParser', 'ThoughtActionParser'] as const;

const EnvValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The fields of an MLGym agent YAML the harness honours; any other field is accepted and listed as ignored. */
export const MlgymAgentFile = z.looseObject({
  system_template: z.string(),
  task_template: z.string(),
  next_step_template: z.string().nullish(),
  next_step_no_output_template: z.string().nullish(),
  strategy_template: z.string().nullish(),
  demonstration_template: z.string().nullish(),
  /** Paths of MLGym trajectories; relative ones are relative to the MLGym checkout. */
  demonstrations: z
    .array(z.string())
    .nullish()
    .transform((paths) => paths ?? []),
  put_demos_in_history: z.boolean().default(false),
  format_error_template: z.string().nullish(),
  // MLGym's defaults when the YAML names none.
  output_parser: z
    .enum(OUTPUT_PARSERS, { error: `only parsers of fenced-block replies are supported: ${OUTPUT_PARSERS.join(', ')}` })
    .default('ThoughtActionParser'),
  history_processor: z.string().default('DefaultHistoryProcessor'),
  history_processor_args: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((args) => args ?? {}),
  tools: z
    .looseObject({
      env_variables: z
        .record(z.string(), EnvValue)
        .nullish()
        .transform((vars) => vars ?? {}),
    })
    .nullish()
    .transform((tools) => tools ?? { env_variables: {} }),
});
export type MlgymAgentFile = z.infer<typeof MlgymAgentFile>;

/** A demonstration file: an MLGym trajectory, of which the history is what MLGym shows. */
const DemonstrationTrajectory = z.looseObject({
  history: z.array(z.looseObject({ role: z.string(), content: z.string().nullish() })),
});

export const PromptMessage = z.object({ role: z.enum(['user', 'assistant']), content: z.string() }).strict();
export type PromptMessage = z.infer<typeof PromptMessage>;

/** What an episode needs of its agent: templates as Python format strings, everything else resolved. */
export const AgentConfig = z
  .object({
    /** `default` (ours), or the agent YAML the config came from. */
    source: z.string(),
    systemTemplate: z.string(),
    /** MLGym's task_template (its first user message). */
    taskTemplate: z.string(),
    /** Appended to the first user message on a line of its own. */
    strategyTemplate: z.string().nullable(),
    nextStepTemplate: z.string(),
    /** Used when a command's output is empty or whitespace. */
    nextStepNoOutputTemplate: z.string(),
    /** Shown as is after a malformed reply. */
    formatError: z.string(),
    /** Inserted between the system prompt and the task, as MLGym inserts them. */
    demonstrations: z.array(PromptMessage),
    /** tools.env_variables as Python prints them: `{WINDOW}` and the like in templates. */
    env: z.record(z.string(), z.string()),
    /** Lines the file viewer shows, and how many of them a scroll keeps. */
    window: z.number().int().positive(),
    overlap: z.number().int().nonnegative(),
    historyProcessor: HistoryProcessor,
    outputParser: z.enum(OUTPUT_PARSERS),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfig>;

/** A template or setting that cannot work; `field` is named as in the YAML. */
export class AgentConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The variables MLGym fills templates with, by kind. */
const TASK_VARIABLES = Object.keys(TaskConfig.shape);
const STATE_VARIABLES = ['current_step', 'remaining_steps', 'open_file', 'working_dir'];

/**
 * Which variables each template may use. MLGym fills the system prompt with the task and its
 * system arguments (command docs, tools.env_variables), the first user message with those plus
 * the shell state and the (empty) observation. The per-step templates get the shell state, the
 * observation and env_variables only: the task's fields and command docs would have to travel
 * with every step, and none of MLGym's own YAMLs uses them there.
 */
function templateRules(agent: AgentConfig): { field: string; template: string | null; allowed: string[] }[] {
  const system = ['command_docs', ...Object.keys(agent.env)];
  const firstMessage = [...TASK_VARIABLES, ...system, ...STATE_VARIABLES, 'observation'];
  const perStep = [...STATE_VARIABLES, 'observation', ...Object.keys(agent.env)];
  return [
    { field: 'system_template', template: agent.systemTemplate, allowed: [...TASK_VARIABLES, ...system] },
    { field: 'task_template', template: agent.taskTemplate, allowed: firstMessage },
    { field: 'strategy_template', template: agent.strategyTemplate, allowed: firstMessage },
    { field: 'next_step_template', template: agent.nextStepTemplate, allowed: perStep },
    { field: 'next_step_no_output_template', template: agent.nextStepNoOutputTemplate, allowed: perStep },
  ];
}

/** Throws an AgentConfigError for the first template that does not parse or names an unknown variable. */
export function checkTemplates(agent: AgentConfig, fieldLabel: (field: string) => string = (field) => field): void {
  for (const { field, template, allowed } of templateRules(agent)) {
    if (template !== null) checkTemplate(fieldLabel(field), template, allowed);
  }
}

function checkTemplate(field: string, template: string, allowed: readonly string[]): void {
  let names: string[];
  try {
    names = fieldNames(template);
  } catch (err) {
    if (err instanceof FormatSyntaxError) throw new AgentConfigError(field, `not a valid Python format string: ${err.message}`);
    throw err;
  }
  const unknown = names.find((name) => !allowed.includes(name));
  if (unknown !== undefined)
    throw new AgentConfigError(field, `unknown placeholder {${unknown}}; this template can use ${allowed.map((n) => `{${n}}`).join(' ')}`);
}

/** The YAML's fields as a checked MlgymAgentFile; errors name the first bad field. */
export function parseAgentFile(raw: unknown): MlgymAgentFile {
  const parsed = MlgymAgentFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AgentConfigError(issueField(issue), issue.message);
}

/** Fields of the YAML this harness does not use (MLGym's tool scripts, state command, ...). */
export function ignoredFields(file: MlgymAgentFile): string[] {
  const known = new Set(Object.keys(MlgymAgentFile.shape));
  const tools = Object.keys(file.tools).filter((key) => key !== 'env_variables');
  return [...Object.keys(file).filter((key) => !known.has(key)), ...tools.map((key) => `tools.${key}`)];
}

export interface AgentSources {
  /** The YAML's path, recorded as the config's source. */
  source: string;
  /** The parsed demonstration files, in the order of `demonstrations`. */
  demonstrations: unknown[];
  /** The output parser's own format error message: MLGym uses it when the YAML has none. */
  parserFormatError: string;
}

/** Resolves a parsed agent YAML into the AgentConfig an episode runs with, as MLGym's AgentConfig does. */
export function resolveAgentConfig(file: MlgymAgentFile, sources: AgentSources): AgentConfig {
  // MLGym: the next-step template defaults to the task template, the no-output one to the next-step one.
  const nextStepTemplate = file.next_step_template ?? file.task_template;
  const nextStepNoOutputTemplate = file.next_step_no_output_template ?? nextStepTemplate;
  const envVariables = file.tools.env_variables;
  const agent: AgentConfig = {
    source: sources.source,
    systemTemplate: file.system_template,
    taskTemplate: file.task_template,
    strategyTemplate: file.strategy_template ?? null,
    nextStepTemplate,
    nextStepNoOutputTemplate,
    formatError: formatErrorText(file, nextStepTemplate, nextStepNoOutputTemplate, sources.parserFormatError),
    demonstrations: demonstrationMessages(file, sources.demonstrations),
    env: Object.fromEntries(Object.entries(envVariables).map(([name, value]) => [name, pyStr(value)])),
    window: positiveInteger(envVariables.WINDOW, 'tools.env_variables.WINDOW', 1000),
    overlap: positiveInteger(envVariables.OVERLAP, 'tools.env_variables.OVERLAP', 2, 0),
    historyProcessor: historyProcessorOf(file),
    outputParser: file.output_parser,
  };
  const defaulted = (field: string) =>
    field === 'next_step_template' && file.next_step_template == null
      ? 'next_step_template (absent: task_template)'
      : field === 'next_step_no_output_template' && file.next_step_no_output_template == null
        ? `next_step_no_output_template (absent: ${file.next_step_template == null ? 'task_template' : 'next_step_template'})`
        : field;
  checkTemplates(agent, defaulted);
  return agent;
}

/** MLGym formats a YAML's format error template once, with the agent config's own fields. */
function formatErrorText(file: MlgymAgentFile, nextStep: string, noOutput: string, parserDefault: string): string {
  if (file.format_error_template == null) return parserDefault;
  const fields = {
    system_template: file.system_template,
    task_template: file.task_template,
    next_step_template: nextStep,
    next_step_no_output_template: noOutput,
    strategy_template: file.strategy_template ?? null,
    demonstration_template: file.demonstration_template ?? null,
    format_error_template: file.format_error_template,
    put_demos_in_history: file.put_demos_in_history,
    history_processor: file.history_processor,
    history_processor_args: file.history_processor_args,
  };
  checkTemplate('format_error_template', file.format_error_template, Object.keys(fields));
  return formatPython(file.format_error_template, fields);
}

/**
 * MLGym's setup: each demonstration's history without its system messages, either as one user
 * message (its contents joined by newlines, in demonstration_template) or, with
 * put_demos_in_history, message by message.
 */
function demonstrationMessages(file: MlgymAgentFile, loaded: unknown[]): PromptMessage[] {
  if (file.demonstrations.length && !file.put_demos_in_history) {
    if (file.demonstration_template == null)
      throw new AgentConfigError('demonstration_template', 'demonstrations need a demonstration_template (or put_demos_in_history: true)');
    checkTemplate('demonstration_template', file.demonstration_template, ['demonstration']);
  }
  return file.demonstrations.flatMap((demoPath, index): PromptMessage[] => {
    const parsed = DemonstrationTrajectory.safeParse(loaded[index]);
    if (!parsed.success)
      throw new AgentConfigError(`demonstrations.${index}`, `${demoPath} is not an MLGym trajectory with a history: ${parsed.error.issues[0].message}`);
    const entries = parsed.data.history.filter((entry) => entry.role !== 'system');
    if (!file.put_demos_in_history) {
      const demonstration = entries.map((entry) => entry.content ?? '').join('\n');
      return [{ role: 'user', content: formatPython(file.demonstration_template as string, { demonstration }) }];
    }
    return entries.map((entry, position) => {
      const role = PromptMessage.shape.role.safeParse(entry.role);
      if (!role.success) throw new AgentConfigError(`demonstrations.${index}`, `${demoPath}: history entry ${position} has the role "${entry.role}"`);
      return { role: role.data, content: entry.content ?? '' };
    });
  });
}

/** MLGym's history processors that this harness implements. */
const FIXED_WINDOWS: Record<string, number> = { Last2Observations: 2, Last5Observations: 5, Last100Observations: 100 };

function historyProcessorOf(file: MlgymAgentFile): HistoryProcessor {
  const name = file.history_processor;
  if (name === 'DefaultHistoryProcessor') return { kind: 'keep_all' };
  if (name in FIXED_WINDOWS) return { kind: 'last_observations', n: FIXED_WINDOWS[name] };
  if (name === 'LastNObservations') {
    return { kind: 'last_observations', n: positiveInteger(file.history_processor_args.n, 'history_processor_args.n') };
  }
  const supported = ['DefaultHistoryProcessor', 'LastNObservations', ...Object.keys(FIXED_WINDOWS)];
  throw new AgentConfigError('history_processor', `"${name}" is not supported; use one of ${supported.join(', ')}`);
}

/** An integer setting (a number, or digits as the shell variable it becomes), at least `min`. */
function positiveInteger(value: unknown, field: string, fallback?: number, min = 1): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min)
    throw new AgentConfigError(field, `must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return number;
}

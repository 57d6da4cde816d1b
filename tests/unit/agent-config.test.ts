import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { checkTemplates } from '../../lib/agent-config';
import { DEFAULT_AGENT } from '../../lib/default-agent';
import { processHistory, type TranscriptMessage } from '../../lib/history';
import { formatErrorPrompt, observationPrompt, systemPrompt, taskPrompt } from '../../lib/prompts';
import { TaskConfig } from '../../lib/task-config';
import { renderToolDocs } from '../../lib/tool-docs';
import { loadAgentConfig, parserErrorMessage } from '../../scripts/lib/agent-file';
import { REPO_ROOT } from '../../scripts/lib/settings';

const CHECKOUT = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout');
const DEFAULT_YAML = path.join(CHECKOUT, 'configs', 'agents', 'default.yaml');
const runFile = (run: string, task: string) => path.join(CHECKOUT, 'trajectories', run, `${task}.traj`);

interface Traj {
  history: { role: 'system' | 'user' | 'assistant'; content: string }[];
  trajectory: { state: string; observation: string }[];
}
const readTraj = (file: string): Traj => JSON.parse(readFileSync(file, 'utf8')) as Traj;

/** An MLGym task file as a task of ours: MLGym's fields plus the two we require. */
function mlgymTask(id: string, metric: string, submission: string): TaskConfig {
  const raw = YAML.parse(readFileSync(path.join(CHECKOUT, 'configs', 'tasks', `${id}.yaml`), 'utf8')) as object;
  return TaskConfig.parse({ ...raw, metric: { name: metric, direction: 'max' }, submission_path: submission });
}

/** A run made with today's default.yaml (the earliest published runs used an older agent config). */
const BATTLE_RUN = runFile('metagen-gemini-20-pro__battleOfSexes__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_1', 'battleOfSexes');

test("MLGym's default.yaml renders the messages MLGym sent in a published run", () => {
  const { agent, ignored, formatErrorSource } = loadAgentConfig(DEFAULT_YAML);
  assert.deepEqual(ignored, ['tools.state_command', 'tools.command_files', 'tools.parser']);
  // The checkout subset has no mlgym/ sources: the parser's own message cannot be read there.
  assert.equal(formatErrorSource, 'ours');
  assert.equal(agent.window, 1000);
  assert.equal(agent.overlap, 2);
  assert.deepEqual(agent.historyProcessor, { kind: 'last_observations', n: 5 });
  assert.equal(agent.outputParser, 'MLGymThoughtActionParser');

  const task = mlgymTask('battleOfSexes', 'Score', 'strategy.py');
  const { history, trajectory } = readTraj(BATTLE_RUN);
  const sent = history[0].content;
  const docsStart = sent.indexOf('COMMANDS:\n') + 'COMMANDS:\n'.length;
  const docsEnd = sent.indexOf('\n\nPlease note that THE EDIT');
  const mlgymDocs = sent.slice(docsStart, docsEnd);
  // With MLGym's command docs the system prompt is MLGym's, character for character ...
  assert.equal(systemPrompt(agent, task, mlgymDocs), sent);
  // ... and with ours only the COMMANDS block differs (our tools' docs are our own words).
  const ours = renderToolDocs(agent.window, agent.overlap);
  assert.equal(systemPrompt(agent, task, ours), sent.slice(0, docsStart) + ours + sent.slice(docsEnd));

  const workspace = { step: 0, maxSteps: 50, working_dir: '/home/agent/workspace' };
  assert.equal(taskPrompt(agent, task, ours, workspace), history[1].content);

  // Every later user message: the step's observation, rendered with the state MLGym read next.
  let compared = 0;
  for (let i = 0; i + 1 < trajectory.length; i++) {
    const state = JSON.parse(trajectory[i + 1].state) as { open_file: string; working_dir: string };
    assert.equal(observationPrompt(trajectory[i].observation, i + 1, 50, state, agent), history[2 * i + 3].content, `step ${i + 1}`);
    compared += 1;
  }
  assert.equal(compared, 17);
});

test('a blank observation gets the no-output template; the format error is shown as is', () => {
  const { agent } = loadAgentConfig(DEFAULT_YAML);
  const shown = observationPrompt(' \n\t', 3, 50, { open_file: '/w/a.py', working_dir: '/w' }, agent);
  assert.equal(
    shown,
    'Your command ran successfully and did not produce any output.\n(Current Step: 3, Remaining Steps: 47)\n(Open file: /w/a.py)\n(Current directory: /w)\nbash-$',
  );
  assert.equal(formatErrorPrompt(agent), DEFAULT_AGENT.formatError);
  assert.match(observationPrompt('', 1, 5, {}), /^Your command finished and printed nothing\.\n\(Current Step: 1, Remaining Steps: 4\)\n\(Open file: n\/a\)/);
});

/**
 * Last5Observations on a published run's (unprocessed) history, as MLGym's last_n_history
 * processes it before the model call of step 30: the system prompt, the replies and the task stay;
 * of the later user messages only the last 5 stay, each older one becomes its line count. The
 * expected counts were computed by running MLGym's history_processors.py on this history.
 */
test('Last5Observations reproduces what MLGym sent at step 30 of a published run', () => {
  const { history } = readTraj(runFile('metagen-claude-37-sonnet__blotto__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_0', 'blotto'));
  const transcript: TranscriptMessage[] = history.slice(0, 60).map((entry, i) => ({
    role: entry.role,
    content: entry.content,
    kind: i === 0 ? 'system' : i === 1 ? 'task' : entry.role === 'assistant' ? 'action' : 'observation',
    step: Math.floor(i / 2),
  }));
  const omitted: Record<number, number> = {
    3: 5,
    5: 9,
    7: 45,
    9: 86,
    11: 37,
    13: 7,
    15: 6,
    17: 279,
    19: 6,
    21: 321,
    23: 323,
    25: 19,
    27: 37,
    29: 48,
    31: 322,
    33: 325,
    35: 324,
    37: 131,
    39: 45,
    41: 258,
    43: 7,
    45: 37,
    47: 5,
    49: 257,
  };
  const { agent } = loadAgentConfig(DEFAULT_YAML);
  const processed = processHistory(transcript, agent.historyProcessor);
  assert.equal(processed.length, 60);
  processed.forEach((message, i) => {
    const expected = i in omitted ? `Old output omitted (${omitted[i]} lines)` : history[i].content;
    assert.equal(message.content, expected, `message ${i}`);
  });
});

test('the history processor counts lines as Python does and never counts demonstrations', () => {
  const user = (content: string, kind: TranscriptMessage['kind'] = 'observation'): TranscriptMessage => ({ role: 'user', kind, content, step: 1 });
  const messages: TranscriptMessage[] = [
    { role: 'system', kind: 'system', content: 's', step: 0 },
    user('demo\nof\nthree', 'demonstration'),
    user('task', 'task'),
    user('a\nb\n'), // two lines for Python's splitlines, not three
    user('a\r\nb\rc'), // three
    user(''), // none
    user('kept'),
  ];
  const out = processHistory(messages, { kind: 'last_observations', n: 1 }).map((m) => m.content);
  assert.deepEqual(out, [
    's',
    'demo\nof\nthree',
    'task',
    'Old output omitted (2 lines)',
    'Old output omitted (3 lines)',
    'Old output omitted (0 lines)',
    'kept',
  ]);
  assert.deepEqual(processHistory(messages, { kind: 'keep_all' }), messages);
  assert.deepEqual(processHistory(messages, 1), processHistory(messages, { kind: 'last_observations', n: 1 }));
});

/** Each of MLGym's eight tips (default.yaml, IMPORTANT TIPS) and a phrase of ours that carries it. */
const TIPS: [tip: string, ours: RegExp][] = [
  ['understand the baseline first: a solution and the score to beat', /reading the baseline script.*the baseline score you need to beat/],
  ['a failed command fails again unless changed', /When a command fails, change it or try another one/],
  [
    'use goto instead of repeated scroll_down beyond the window',
    /beyond the first \{WINDOW\} lines, jump there with goto <line_number> instead of calling scroll_down/,
  ],
  ['watch the open file and the working directory; create changes the open file', /open file and the current working directory.*'create', open a file/s],
  ['check every edit for wrong line numbers and indentation', /After every edit, read the result/],
  ['steps are limited; submit a working solution when few remain', /Your steps are limited.*submit a working solution/s],
  ['each action must finish within the training timeout', /Every action has to finish within \{training_timeout\} seconds/],
  [
    'validate often; do not run the evaluator yourself, it is not logged',
    /Validate often.*instead of running the evaluation script yourself: results of your own runs are not recorded/s,
  ],
];

/** MLGym's other instructions (system and task templates) and ours. */
const INSTRUCTIONS: [instruction: string, ours: RegExp][] = [
  ['the viewer shows {WINDOW} lines', /displays \{WINDOW\} lines of a file at a time/],
  ['the special commands are documented', /COMMANDS:\n\{command_docs\}/],
  ['edit and insert need full indentation', /every line needs its complete indentation.*' {8}print\(x\)'/s],
  ['the shell prompt format', /\(Open file: <path>\) <cwd> \$/],
  ['one discussion and one command, with an example', /exactly _one_ of each.*DISCUSSION\n.*\n```\nls -a\n```/s],
  ['one command per reply, then wait', /\*SINGLE\* command.*wait for the shell's answer/],
  ['the discussion is kept; nothing after the command', /kept for later reference\. Write nothing after the command/],
  ['never two commands at once', /Never send two commands in one reply/],
  ['any bash command is allowed', /any bash command you like \(find, grep, cat, ls, cd/],
  ['no interactive programs', /Interactive programs .* do NOT work here/],
  [
    'aim for the best score; validate, spot-check, own validation sets, compare algorithms',
    /best score.*`validate`.*spot-check predictions.*validation sets and scoring functions.*compare several algorithms/s,
  ],
  ['submit when no more progress', /make no more progress, hand in your final solution with the `submit` command/],
  [
    'MLGym timeouts and our long_run override',
    /contains torchrun, python, python3, accelerate or deepspeed may run for \{training_timeout\} seconds; any other command is stopped after \{command_timeout\} seconds\. Prefix a command with `long_run`/,
  ],
];

const TASK_INSTRUCTIONS: [instruction: string, ours: RegExp][] = [
  ['the task description', /TASK DESCRIPTION:\n\{description\}/],
  [
    'train a model; terminal in the workspace root; edit files or write a training script',
    /train a model.*open in the root of your workspace.*write a new training script/s,
  ],
  ['one command at a time', /ONE COMMAND PER REPLY\. Wait for the result/],
  [
    'produce a valid submission artefact per SUBMISSION FORMAT; read evaluate.py',
    /valid submission artefact: follow what the task description says about submissions \(its SUBMISSION FORMAT.*`evaluate\.py`/s,
  ],
  ['no interactive programs, but scripts run with python', /are not available, but you can write scripts and run them, for example `python <script_name>\.py`/],
  ['indentation matters in edit and insert', /ABOUT EDIT AND INSERT: indentation matters!/],
  [
    'the footer',
    /\n\(Current Step: \{current_step\}, Remaining Steps: \{remaining_steps\}\)\n\(Open file: \{open_file\}\)\n\(Current directory: \{working_dir\}\)\nbash-\$$/,
  ],
];

test("our default agent carries every tip and instruction of MLGym's default agent", () => {
  const mlgym = YAML.parse(readFileSync(DEFAULT_YAML, 'utf8')) as { system_template: string };
  const tips = mlgym.system_template.split('IMPORTANT TIPS:')[1].match(/^\d+\. /gm) ?? [];
  assert.equal(tips.length, TIPS.length, "the table covers each of MLGym's tips");
  for (const [tip, ours] of [...TIPS, ...INSTRUCTIONS]) assert.match(DEFAULT_AGENT.systemTemplate, ours, tip);
  for (const [instruction, ours] of TASK_INSTRUCTIONS) assert.match(DEFAULT_AGENT.taskTemplate, ours, instruction);
  assert.ok(DEFAULT_AGENT.nextStepTemplate.startsWith('{observation}\n(Current Step: {current_step}, Remaining Steps: {remaining_steps})'));
  checkTemplates(DEFAULT_AGENT);
  const task = mlgymTask('battleOfSexes', 'Score', 'strategy.py');
  const system = systemPrompt(DEFAULT_AGENT, task, 'DOCS');
  assert.match(system, /displays 1000 lines.*\nDOCS\n/s);
  assert.match(system, /may run for 1800 seconds; any other command is stopped after 25 seconds/);
  assert.match(
    taskPrompt(DEFAULT_AGENT, task, 'DOCS', { step: 0, maxSteps: 7, working_dir: '/w' }),
    /You are going to play a classic.*\n\(Current Step: 0, Remaining Steps: 7\)\n\(Open file: n\/a\)\n\(Current directory: \/w\)\nbash-\$$/s,
  );
});

test("a task's {dataset_docs} become MLGym's dataset docs", () => {
  const task = TaskConfig.parse({
    id: 't',
    name: 'T',
    description: 'Data:\n{dataset_docs}End.',
    metric: { name: 'acc', direction: 'max' },
    submission_path: 's.csv',
    dataset_configs: [{ name: 'Fashion MNIST', description: 'images', data_path: 'data' }],
  });
  const agent = { ...DEFAULT_AGENT, taskTemplate: '{description}' };
  assert.equal(taskPrompt(agent, task, '', { step: 0, maxSteps: 1 }), 'Data:\nFASHION MNIST:\nimages\n\nEnd.');
});

/** A throwaway MLGym checkout holding one agent YAML (and what else `files` names). */
function checkout(yaml: string, files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mlgym-agent-'));
  mkdirSync(path.join(root, 'configs', 'agents'), { recursive: true });
  const file = path.join(root, 'configs', 'agents', 'agent.yaml');
  writeFileSync(file, yaml);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return file;
}

const MINIMAL = 'system_template: "S {training_timeout}"\ntask_template: "T {description}"\nnext_step_template: "{observation} ({current_step})"\n';

test('demonstrations are inserted as MLGym inserts them', () => {
  const demo = JSON.stringify({
    history: [
      { role: 'system', content: 'demo system' },
      { role: 'user', content: 'demo task' },
      { role: 'assistant', content: 'demo reply' },
    ],
  });
  const asOne = checkout(`${MINIMAL}demonstrations: [demonstrations/d.traj]\ndemonstration_template: "--- DEMO ---\\n{demonstration}\\n--- END ---"\n`, {
    'demonstrations/d.traj': demo,
  });
  assert.deepEqual(loadAgentConfig(asOne).agent.demonstrations, [{ role: 'user', content: '--- DEMO ---\ndemo task\ndemo reply\n--- END ---' }]);
  const inHistory = checkout(`${MINIMAL}demonstrations: [demonstrations/d.traj]\nput_demos_in_history: true\n`, { 'demonstrations/d.traj': demo });
  assert.deepEqual(loadAgentConfig(inHistory).agent.demonstrations, [
    { role: 'user', content: 'demo task' },
    { role: 'assistant', content: 'demo reply' },
  ]);
});

test("format errors: the YAML's template formatted with the config's fields, else the parser's message from the checkout", () => {
  const own = checkout(`${MINIMAL}format_error_template: "Bad reply. {{literally}} Next: {next_step_template}"\n`);
  assert.equal(loadAgentConfig(own).agent.formatError, 'Bad reply. {literally} Next: {observation} ({current_step})');
  const parsing = [
    'class ParseFunction:',
    '    pass',
    '',
    'class FencedParser(ParseFunction):',
    '    _error_message = """\\',
    '    Line one.',
    '      indented',
    '',
    '    """',
    '',
    'class MLGymThoughtActionParser(FencedParser):',
    '    def __call__(self):',
    '        return 1',
  ].join('\n');
  const file = checkout(`${MINIMAL}output_parser: MLGymThoughtActionParser\n`, { 'mlgym/agent/parsing.py': parsing });
  const loaded = loadAgentConfig(file);
  assert.equal(loaded.formatErrorSource, 'mlgym-parser');
  assert.equal(loaded.agent.formatError, 'Line one.\n  indented\n\n');
  assert.equal(parserErrorMessage(path.dirname(path.dirname(path.dirname(file))), 'NoSuchParser'), undefined);
});

test('a broken agent YAML is one line naming the file and the field', () => {
  const cases: [yaml: string, files: Record<string, string>, field: RegExp][] = [
    ['system_template: [unclosed\n', {}, /not valid YAML: .* at line \d+, column \d+$/],
    ['task_template: x\n', {}, /: system_template: /],
    ['system_template: 5\ntask_template: x\n', {}, /: system_template: .*expected string/],
    [MINIMAL.replace('T {description}', 'T {descripton}'), {}, /: task_template: unknown placeholder \{descripton\}/],
    [
      MINIMAL.replace('S {training_timeout}', 'S {training_timeout'),
      {},
      /: system_template: not a valid Python format string: expected '\}' before end of string/,
    ],
    [
      MINIMAL.replace('{observation} ({current_step})', '{observation} {training_timeout}'),
      {},
      /: next_step_template: unknown placeholder \{training_timeout\}/,
    ],
    ['system_template: S\ntask_template: "{description}"\n', {}, /: next_step_template \(absent: task_template\): unknown placeholder \{description\}/],
    [`${MINIMAL}history_processor: ClosedWindowHistoryProcessor\n`, {}, /: history_processor: "ClosedWindowHistoryProcessor" is not supported/],
    [`${MINIMAL}history_processor: LastNObservations\n`, {}, /: history_processor_args\.n: /],
    [`${MINIMAL}output_parser: JsonParser\n`, {}, /: output_parser: only parsers of fenced-block replies/],
    [`${MINIMAL}tools: {env_variables: {WINDOW: many}}\n`, {}, /: tools\.env_variables\.WINDOW: must be an integer/],
    [
      `${MINIMAL}demonstrations: [demonstrations/missing.traj]\ndemonstration_template: "{demonstration}"\n`,
      {},
      /: demonstrations\.0: .*missing\.traj: no such file/,
    ],
    [
      `${MINIMAL}demonstrations: [d.traj]\ndemonstration_template: "{demonstration}"\n`,
      { 'd.traj': '{"trajectory": []}' },
      /: demonstrations\.0: d\.traj is not an MLGym trajectory/,
    ],
    [`${MINIMAL}demonstrations: [d.traj]\n`, { 'd.traj': '{"history": []}' }, /: demonstration_template: demonstrations need a demonstration_template/],
    [`${MINIMAL}format_error_template: "{observation}"\n`, {}, /: format_error_template: unknown placeholder \{observation\}/],
  ];
  for (const [yaml, files, field] of cases) {
    const file = checkout(yaml, files);
    assert.throws(
      () => loadAgentConfig(file),
      (err: Error) => {
        assert.equal(err.message.split('\n').length, 1, err.message);
        assert.ok(err.message.startsWith(`${file}: `), err.message);
        assert.match(err.message, field);
        return true;
      },
      yaml,
    );
  }
});

test("MLGym's other agent YAMLs: their extra state variables and missing demonstrations are load-time errors", () => {
  const agents = path.join(CHECKOUT, 'configs', 'agents');
  assert.throws(() => loadAgentConfig(path.join(agents, 'default_gpu_info.yaml')), /default_gpu_info\.yaml: task_template: unknown placeholder \{gpu_count\}/);
  assert.throws(
    () => loadAgentConfig(path.join(agents, 'default_memory.yaml')),
    /default_memory\.yaml: demonstrations\.0: .*memory_demo_imageClassificationFMnist\.traj: no such file/,
  );
});

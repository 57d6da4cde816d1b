import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { LocalArtifactStore } from '../../activities/artifacts/local';
import { finishEpisode, type ExecRecord, type FinishInput, type ModelCallRecord } from '../../activities/finish';
import { episodeKeys } from '../../lib/artifact-keys';
import type { EpisodeInput, Evaluation } from '../../lib/episode';
import type { TranscriptMessage } from '../../lib/history';
import { TaskConfig } from '../../lib/task-config';
import { taskAtScale } from '../../lib/task-scale';
import { configStem, fixed2, mlgymModelName, mlgymRunFolder, sweepRunIndex } from '../../scripts/lib/mlgym-layout';

/**
 * The shape of what finishEpisode writes, against what MLGym's writer (agent/base.py, environment
 * env.py) produces and its readers index: trajectory steps, history entries with thought and action,
 * info.model_stats names, the step that ended the episode, results.json.
 */
const root = mkdtempSync(path.join(tmpdir(), 'mlgym-outputs-'));
const store = new LocalArtifactStore(root);
before(() => {
  process.env.MLGYM_ARTIFACTS = root;
});

const task = TaskConfig.parse({
  id: 'guess',
  name: 'Guess',
  description: 'Write an integer into answer.txt.',
  baseline_scores: [{ Score: -4 }],
  metric: { name: 'Score', direction: 'max' },
  submission_path: 'answer.txt',
});

interface Step {
  model: ModelCallRecord;
  /** The command's outcome, as exec-command / evaluate store it; absent for a step that ran nothing. */
  exec?: ExecRecord;
}

const reply = (command: string) => `DISCUSSION\nthinking about ${command}\n\n\`\`\`\n${command}\n\`\`\`\n`;
const acted = (command: string): ModelCallRecord => ({ response: reply(command), thought: `DISCUSSION\nthinking about ${command}`, action: command });
const ran = (observation: string): ExecRecord => ({ observation, execution_time: 1.5, state: { open_file: 'n/a', working_dir: '/home/agent/workspace' } });

let episodes = 0;

/** Stores an episode's records as the step activities do, then finishes it; returns what finish wrote. */
async function finish(
  steps: Step[],
  options: { exitStatus: string; evaluations?: Evaluation[]; demonstrations?: string[]; task?: TaskConfig; conditions?: FinishInput['conditions'] },
) {
  const episodeId = `outputs-${++episodes}`;
  const keys = episodeKeys(episodeId);
  const transcript: TranscriptMessage[] = [
    { role: 'system', kind: 'system', step: 0, content: 'SETTING: the tools' },
    ...(options.demonstrations ?? []).map((content): TranscriptMessage => ({ role: 'user', kind: 'demonstration', step: 0, content })),
    { role: 'user', kind: 'task', step: 0, content: 'TASK: guess the number' },
  ];
  for (const [i, { model, exec }] of steps.entries()) {
    const step = i + 1;
    await store.put(keys.modelCall(step), JSON.stringify(model));
    transcript.push({ role: 'assistant', kind: 'action', step, content: model.response });
    if (exec) {
      await store.put(keys.execRecord(step), JSON.stringify(exec));
      transcript.push({ role: 'user', kind: 'observation', step, content: `${exec.observation}\n(Current Step: ${step})` });
    }
  }
  for (const [seq, message] of transcript.entries()) await store.put(keys.transcriptMessage(seq), JSON.stringify(message));
  const input: FinishInput = {
    episodeId,
    model: 'openai:gpt-4o',
    task: options.task ?? task,
    exitStatus: options.exitStatus,
    evaluations: options.evaluations ?? [],
    costUsd: 0.0123,
    usage: { inputTokens: 4000, outputTokens: 300 },
    modelCalls: steps.length + 1,
    steps: steps.length,
    transcriptLength: transcript.length,
    ...(options.conditions && { conditions: options.conditions }),
  };
  const paths = await finishEpisode(input);
  return {
    paths,
    traj: JSON.parse(readFileSync(paths.trajectoryPath, 'utf8')),
    results: JSON.parse(readFileSync(paths.resultsPath, 'utf8')),
  };
}

describe('the trajectory finishEpisode writes', () => {
  test('steps, history and info carry the fields MLGym writes, under its names', async () => {
    const { traj, paths } = await finish(
      [
        { model: acted('cat answer.txt'), exec: ran('3') },
        {
          model: acted('validate'),
          exec: { ...ran('Evaluation Score: {"Score": -4}'), evaluation: { kind: 'validate', metrics: { Score: -4 }, split: 'test' } },
        },
        { model: acted('submit'), exec: ran('Your code produced a valid submission artefact') },
      ],
      {
        exitStatus: 'submitted',
        evaluations: [
          { kind: 'validate', step: 2, metrics: { Score: -4 }, split: 'test' },
          { kind: 'submit', step: 3, metrics: { Score: 0 }, split: 'test' },
        ],
      },
    );
    assert.equal(path.basename(paths.trajectoryPath), 'outputs-1.traj');
    assert.deepEqual(Object.keys(traj).sort(), ['environment', 'history', 'info', 'trajectory']);
    for (const step of traj.trajectory) {
      for (const field of ['state', 'response', 'thought', 'action', 'execution_time', 'observation']) assert.ok(field in step, field);
      assert.equal(typeof JSON.parse(step.state), 'object', 'state is a JSON string, as MLGym stores it');
    }
    assert.deepEqual(
      traj.trajectory.map((s: { action: string }) => s.action),
      ['cat answer.txt', 'validate', 'submit'],
    );
    assert.equal(traj.trajectory[0].thought, 'DISCUSSION\nthinking about cat answer.txt');
    assert.equal(traj.trajectory[0].observation, '3');
    assert.equal(traj.trajectory[0].execution_time, 1.5);

    assert.deepEqual(traj.info.model_stats, { total_cost: 0.0123, task_cost: 0.0123, tokens_sent: 4000, tokens_received: 300, api_calls: 4 });
    assert.equal(traj.info.exit_status, 'submitted');
    assert.equal(traj.info.submission, 'answer.txt');
    assert.deepEqual(traj.info.score, [{ Score: -4 }, { Score: 0 }]);
    assert.deepEqual(traj.info.summarizer, {});

    // MLGym's history: the system prompt, the task, then each reply and what the model saw next.
    assert.deepEqual(
      traj.history.map((h: { role: string }) => h.role),
      ['system', 'user', 'assistant', 'user', 'assistant', 'user', 'assistant'],
    );
    for (const entry of traj.history) assert.equal(entry.agent, 'primary');
    const replies = traj.history.filter((h: { role: string }) => h.role === 'assistant');
    assert.deepEqual(
      replies.map((h: { thought: string; action: string }) => [h.thought, h.action]),
      traj.trajectory.map((s: { thought: string; action: string }) => [s.thought, s.action]),
    );
    assert.equal(replies[0].content, reply('cat answer.txt'));
    for (const entry of traj.history.filter((h: { role: string }) => h.role !== 'assistant')) {
      assert.ok(!('action' in entry) && !('thought' in entry), 'only replies carry a thought and an action');
    }
  });

  test('the submit step is answered `Exited (submit)`, and the model never saw the answer', async () => {
    const { traj } = await finish(
      [
        { model: acted('echo 7 > answer.txt'), exec: ran('') },
        { model: acted('submit'), exec: ran('Your code produced a valid submission artefact') },
      ],
      {
        exitStatus: 'submitted',
        evaluations: [{ kind: 'submit', step: 2, metrics: { Score: 0 }, split: 'test' }],
      },
    );
    assert.equal(traj.trajectory[1].observation, 'Exited (submit)');
    assert.equal(traj.trajectory[0].observation, '', 'an earlier step keeps its own outcome');
    assert.equal(traj.history.at(-1).role, 'assistant');
    assert.equal(traj.history.at(-1).action, 'submit');
  });

  test('an exit step (exit_format, exit_cost, exit_context) is recorded with its action and `Exited (<reason>)`', async () => {
    const { traj, results } = await finish(
      [
        { model: acted('echo 7 > answer.txt'), exec: ran('') },
        // What the model-call activity stores when the re-queries ran out (MLGym's check_format_and_requery).
        { model: { response: 'no command in this reply', thought: 'Exit due to format error', action: 'exit_format' } },
      ],
      { exitStatus: 'autosubmission (exit_format)', evaluations: [{ kind: 'submit', step: 2, metrics: { Score: 0 }, split: 'test' }] },
    );
    assert.deepEqual(traj.trajectory[1], {
      step: 2,
      state: '{}',
      response: 'no command in this reply',
      thought: 'Exit due to format error',
      action: 'exit_format',
      execution_time: 0,
      observation: 'Exited (exit_format)',
    });
    const last = traj.history.at(-1);
    assert.deepEqual(
      [last.role, last.content, last.thought, last.action],
      ['assistant', 'no command in this reply', 'Exit due to format error', 'exit_format'],
    );
    assert.equal(traj.info.exit_status, 'autosubmission (exit_format)');
    assert.equal(results.exit_status, 'autosubmission (exit_format)');
  });

  test("every exit status names its reason in the exit step's observation", async () => {
    const cases: [exitStatus: string, observation: string][] = [
      ['submitted', 'Exited (submit)'],
      ['submission_not_found (submit)', 'Exited (submit)'],
      ['autosubmission (max_steps)', 'Exited (max_steps)'],
      ['autosubmission (exit_cost)', 'Exited (exit_cost)'],
      ['submission_not_found (exit_format)', 'Exited (exit_format)'],
      ['evaluation_format_error (exit_context)', 'Exited (exit_context)'],
      ['autosubmission (exit_cancel)', 'Exited (exit_cancel)'],
    ];
    for (const [exitStatus, observation] of cases) {
      // The reply past the step limit (or the exit action) was stored; nothing ran.
      const { traj } = await finish([{ model: acted('ls'), exec: ran('answer.txt') }, { model: acted('validate') }], { exitStatus });
      assert.equal(traj.trajectory[1].observation, observation, exitStatus);
      assert.equal(traj.trajectory[0].observation, 'answer.txt', exitStatus);
    }
  });

  test('a last step whose command ran keeps its outcome when the episode ended otherwise (a cancel between steps)', async () => {
    const { traj } = await finish([{ model: acted('ls'), exec: ran('answer.txt') }], { exitStatus: 'autosubmission (exit_cancel)' });
    assert.equal(traj.trajectory[0].observation, 'answer.txt');
    assert.equal(traj.history.at(-1).role, 'user');
  });

  test('demonstrations are marked is_demo, as MLGym marks them', async () => {
    const { traj } = await finish([{ model: acted('submit') }], { exitStatus: 'submission_not_found (submit)', demonstrations: ['Here is a demonstration'] });
    const demo = traj.history.find((h: { content: string }) => h.content === 'Here is a demonstration');
    assert.deepEqual(demo, { role: 'user', content: 'Here is a demonstration', agent: 'primary', is_demo: true });
    assert.equal(traj.history.filter((h: { is_demo?: boolean }) => h.is_demo).length, 1);
  });
});

describe('the results.json finishEpisode writes', () => {
  test("agent holds the test-split scores in order, baseline the task's; our evaluations stay alongside", async () => {
    const evaluations: Evaluation[] = [
      { kind: 'validate', step: 1, metrics: { Score: -3 }, split: 'validation' },
      { kind: 'validate', step: 2, metrics: { Score: -2 }, split: 'test' },
      { kind: 'submit', step: 3, metrics: { Score: -1 }, split: 'test' },
    ];
    const { results, traj } = await finish([{ model: acted('validate') }, { model: acted('validate') }, { model: acted('submit') }], {
      exitStatus: 'submitted',
      evaluations,
    });
    assert.deepEqual(results, { agent: [{ Score: -2 }, { Score: -1 }], baseline: { Score: -4 }, evaluations, exit_status: 'submitted', integrity: 'trusted' });
    assert.deepEqual(traj.info.score, results.agent, 'MLGym writes info.score as results.json agent');
  });

  test("a task without a baseline gets no baseline key (MLGym's readers skip a missing one, not a null)", async () => {
    const { results, traj } = await finish([{ model: acted('submit') }], {
      exitStatus: 'submission_not_found (submit)',
      task: { ...task, baseline_scores: [] },
    });
    assert.deepEqual(results, { agent: [], evaluations: [], exit_status: 'submission_not_found (submit)', integrity: 'trusted' });
    assert.equal(traj.info.submission, null);
  });

  test('the scale, conditions, GPUs and network an episode ran with are in results.json and the trajectory', async () => {
    const scaled = taskAtScale(
      { ...task, scales: { paper: { resources: { gpus: 2 }, starter_files: {}, baseline_per_host: false, differences: 'the instances are ours' } } },
      'paper',
      'mlgym',
    );
    const { results, traj } = await finish([{ model: acted('submit') }], { exitStatus: 'submission_not_found (submit)', task: scaled, conditions: 'mlgym' });
    const setup = { scale: 'paper', conditions: 'mlgym', gpus: 2, network: true, differences: 'the instances are ours' };
    assert.deepEqual(results.setup, setup);
    assert.deepEqual(traj.info.setup, setup);
    assert.equal(results.baseline, undefined, 'a scale without a baseline of its own shows none, not the top-level one');
  });
});

describe("MLGym's folder layout", () => {
  test("run.py's run name with the run index, from our settings", () => {
    const run = { model: 'openai-gpt-4o', task: 'blotto', config: 'default', temperature: 0, topP: 0.95, costLimitUsd: 4, runIndex: 2 };
    assert.equal(mlgymRunFolder(run), 'openai-gpt-4o__blotto__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_2');
  });

  test('numbers are formatted as Python formats "{:.2f}", exact ties to even', () => {
    const cases: [number, string][] = [
      [0, '0.00'],
      [0.95, '0.95'],
      [4, '4.00'],
      [0.125, '0.12'],
      [0.375, '0.38'],
      [0.625, '0.62'],
      [2.875, '2.88'],
      [1.005, '1.00'],
      [0.005, '0.01'],
      [12.3456, '12.35'],
    ];
    for (const [value, python] of cases) assert.equal(fixed2(value), python, String(value));
  });

  test('model specs become filesystem-safe names without "_" (MLGym\'s visualiser splits on it)', () => {
    assert.equal(mlgymModelName('openai:gpt-4o'), 'openai-gpt-4o');
    assert.equal(mlgymModelName('anthropic:claude-sonnet-4-5'), 'anthropic-claude-sonnet-4-5');
    assert.equal(mlgymModelName('replay:/runs/my_best.traj'), 'replay-my-best');
    assert.equal(mlgymModelName('openai:llama3:8b'), 'openai-llama3-8b');
  });

  test('the config is the stem of the agent YAML the episode ran with, `default` for our own agent', () => {
    const ranWith = (agent?: { source: string }) => ({ agent }) as unknown as EpisodeInput;
    assert.equal(configStem(ranWith()), 'default');
    assert.equal(configStem(ranWith({ source: 'default' })), 'default');
    assert.equal(configStem(ranWith({ source: '/mlgym/configs/agents/better_thought_action_parser.yaml' })), 'better_thought_action_parser');
  });

  test("a sweep episode's run index is its cell's run number counted from 0", () => {
    assert.equal(sweepRunIndex('mysweep--guess--openai-gpt-4o--r1'), 0);
    assert.equal(sweepRunIndex('mysweep--guess--openai-gpt-4o--r3--a2'), 2);
    assert.equal(sweepRunIndex('guess--openai-gpt-4o--20250101-ab12'), undefined);
  });
});

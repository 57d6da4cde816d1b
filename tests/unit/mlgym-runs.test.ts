import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { couldChange, listPublishedRuns, parseFileView, rebuildStarterFiles, SHARED_MLGYM_CHECKOUT, type PublishedRun } from '../support/mlgym-runs';
import { judge, observationDivergences, type OurOutcome } from '../support/mlgym-verdict';

/**
 * The replay harness of MLGym's published runs (tests/integration/mlgym-replay.test.ts): reading the
 * runs, rebuilding the starter files each run saw, and judging a replay against the recording.
 */
const present = existsSync(path.join(SHARED_MLGYM_CHECKOUT, 'trajectories'));
const missing = `MLGym's published runs are not at ${SHARED_MLGYM_CHECKOUT}`;

describe("MLGym's published runs", () => {
  it('the published runs are listed with their model, task, run index and recorded outcome', (t) => {
    if (!present) return t.skip(missing);
    const runs = listPublishedRuns();
    assert.equal(runs.length, 36);
    const run = runs.find((r) => r.folder.startsWith('metagen-gpt4o2__blotto__'));
    assert.ok(run);
    assert.deepEqual([run.model, run.task, run.runIndex, run.exitStatus, run.steps.length], ['metagen-gpt4o2', 'blotto', 0, 'submitted', 9]);
    assert.equal(run.scores.at(-1)?.Score, 0.024290001019835472);
  });

  it("starter files are rebuilt from each run's first whole `open` view, the trailing newline as in the checkout", (t) => {
    if (!present) return t.skip(missing);
    const runs = listPublishedRuns();
    const byName = (prefix: string) => {
      const run = runs.find((r) => r.folder.startsWith(prefix));
      assert.ok(run, prefix);
      return Object.fromEntries(rebuildStarterFiles(run).map((f) => [f.name, f]));
    };
    const checkoutFile = (rel: string) => readFileSync(path.join(SHARED_MLGYM_CHECKOUT, rel), 'utf8');

    // This run opened all three files of today's version: the rebuild is the checkout's, byte for
    // byte (trailing blanks kept, newline at the end as the checkout has it).
    const current = byName('metagen-claude-37-sonnet__blotto__');
    for (const name of ['strategy.py', 'target.py', 'evaluate.py']) {
      assert.equal(current[name].source, 'run', name);
      assert.equal(current[name].differsFromCheckout, false, name);
    }

    // An older run saw the files before the copyright header: the rebuild is what it saw.
    const older = byName('metagen-gpt4o2__battleOfSexes__');
    assert.equal(
      older['strategy.py'].content,
      checkoutFile('data/battleOfSexes/strategy.py').replace(/^"""\nCopyright \(c\) Meta Platforms, Inc\. and affiliates\.\n"""\n/, ''),
    );
    assert.equal(older['strategy.py'].reason, 'first opened at step 2');
    assert.match(older['target.py'].content, /^# TODO: Implment the target strategy/);
    assert.equal(older['evaluate.py'].differsFromCheckout, true);

    // A run that ended at step 1 saw nothing: the checkout's files stand.
    const blind = byName('metagen-gpt-o3-mini__prisonersDilemma__');
    assert.deepEqual(
      Object.values(blind).map((f) => [f.source, f.reason]),
      [
        ['checkout', 'never opened'],
        ['checkout', 'never opened'],
        ['checkout', 'never opened'],
      ],
    );
  });

  it("MLGym's file window is whole only from line 1 to the last line", () => {
    assert.deepEqual(parseFileView('[File: /home/agent/workspace/a.py (2 lines total)]\n1:x = 1\n2:  '), {
      file: '/home/agent/workspace/a.py',
      total: 2,
      whole: ['x = 1', '  '],
    });
    const partial = parseFileView('[File: /home/agent/workspace/a.py (3000 lines total)]\n(500 more lines above)\n501:x');
    assert.equal(partial?.whole, undefined);
    assert.equal(parseFileView('File a.py not found'), undefined);
  });

  it('an action before the first open may change a file only by naming it in a command that writes', () => {
    const cases: [string, boolean][] = [
      ['cat strategy.py', false],
      ['ls -a; head -n 5 strategy.py | grep def', false],
      ['python train.py', false],
      ['edit 1:3\nimport strategy.py\nend_of_edit', false],
      ['cp backup.py strategy.py', true],
      ['cat new.py > strategy.py', true],
      ["sed -i 's/a/b/' strategy.py", true],
      ['create "strategy.py"', true],
    ];
    for (const [action, expected] of cases) assert.equal(couldChange(action, 'strategy.py'), expected, action);
  });
});

describe('judging a replay against the recording', () => {
  const step = (action: string, observation: string) => ({ action, observation, response: '', execution_time: 0 });
  const run: PublishedRun = {
    folder: 'metagen-m__blotto__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_2',
    model: 'metagen-m',
    task: 'blotto',
    runIndex: 2,
    trajPath: '/x/blotto.traj',
    steps: [
      step('ls -a\n', './\n../\nstrategy.py   \n'),
      step('validate\n', "Your code produced a valid submission artefact at /home/agent/workspace/target.py.\nEvaluation Score: {'Score': 0.1}"),
      step('cat strategy.py\n', 'import random\n\ndef row_strategy(history):'),
      step('submit\n', 'Exited (submit)'),
    ],
    exitStatus: 'submitted',
    scores: [{ Score: 0.1 }, { Score: 0.12 }],
  };
  const finished = (exitStatus: string, score?: number): OurOutcome => ({ ended: 'finished', exitStatus, score, steps: 4 });
  const verdictOf = (ours: OurOutcome, metric = 'Score') => judge({ run, metric, ours, evaluations: [], divergences: [], rebuilt: [], seconds: 1 });

  it('matches the same exit status with a final score within the tolerance of the metric', () => {
    const close = verdictOf(finished('submitted', 0.149));
    assert.deepEqual([close.match, close.why, close.tolerance, close.label], [true, [], 0.03, 'm blotto #2']);
    assert.ok(Math.abs((close.delta ?? 0) - 0.029) < 1e-9);
    const far = verdictOf(finished('submitted', 0.151));
    assert.equal(far.match, false);
    assert.match(far.why[0], /score off by 0\.0310 \(tolerance 0\.03\)/);
    assert.equal(verdictOf(finished('submitted', 0.12), 'r2').tolerance, 0.02);
  });

  it('misses another exit status, a missing score, a failed episode, and a recording without exit status', () => {
    assert.match(verdictOf(finished('autosubmission (max_steps)', 0.12)).why[0], /exit status "autosubmission \(max_steps\)", recorded "submitted"/);
    assert.deepEqual(verdictOf(finished('submitted')).why, ['no final score, MLGym has one']);
    const failed = verdictOf({ ended: 'import failed', failure: 'import: no data' });
    assert.deepEqual([failed.match, failed.why], [false, ['import: no data']]);
    const unfinished = judge({
      run: { ...run, exitStatus: '', scores: [] },
      metric: 'Score',
      ours: finished(''),
      evaluations: [],
      divergences: [],
      rebuilt: [],
      seconds: 1,
    });
    assert.deepEqual(unfinished.why, ['MLGym recorded no exit status for this run']);
  });

  it('names why our final submission was not scored, from the evaluator', () => {
    const evaluations = [{ seconds: 1, status: 'evaluation_error', message: 'Evaluation failed: exit 1.\nTraceback:\n  ...\nModuleNotFoundError: numpy' }];
    const verdict = judge({ run, metric: 'Score', ours: finished('evaluation_format_error (submit)'), evaluations, divergences: [], rebuilt: [], seconds: 1 });
    assert.equal(verdict.why.at(-1), 'our final evaluation: evaluation_error: Evaluation failed: exit 1. … ModuleNotFoundError: numpy');
    assert.deepEqual(verdict.evaluationSeconds, [1]);
  });

  it('finds the steps whose observation differs, ignoring trailing blanks, and validates scored on one side only', () => {
    const ours = [
      { step: 1, action: 'ls -a', observation: './\n../\nstrategy.py\n' },
      { step: 2, action: 'validate', observation: 'Evaluation failed: the evaluator exited with code 1.' },
      { step: 3, action: 'cat strategy.py', observation: 'import random\ndef row_strategy(history):' },
    ];
    assert.deepEqual(observationDivergences(run, ours, []), [
      {
        step: 2,
        action: 'validate',
        recorded: 'Your code produced a valid submission artefact at /home/agent/workspace/target.py.',
        ours: 'Evaluation failed: the evaluator exited with code 1.',
      },
    ]);
    const scored = [{ kind: 'validate' as const, step: 2 }];
    assert.deepEqual(observationDivergences(run, ours.slice(0, 2), scored), [
      { step: 3, action: 'cat strategy.py', recorded: 'import random', ours: '(our episode has no such step)' },
    ]);
    const edited = [...ours.slice(0, 2), { step: 3, action: 'cat strategy.py', observation: 'import numpy\ndef row_strategy(history):' }];
    assert.deepEqual(observationDivergences(run, edited, scored), [{ step: 3, action: 'cat strategy.py', recorded: 'import random', ours: 'import numpy' }]);
  });
});

/**
 * The benchmark is MLGym-Bench: all 13 tasks under tasks/, each with MLGym's id, priority metric
 * and direction, a baseline with the keys MLGym reports, and an image; `mlgym tasks list` shows them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

const MLGYM_BENCH: Record<string, { metric: string; direction: 'max' | 'min'; keys: string[] }> = {
  regressionKaggleHousePrice: { metric: 'r2', direction: 'max', keys: ['rmse', 'r2'] },
  '3SATTime': { metric: 'Time', direction: 'min', keys: ['Time', 'Correct', 'Incorrect'] },
  imageClassificationCifar10: { metric: 'accuracy', direction: 'max', keys: ['accuracy'] },
  imageClassificationFMnist: { metric: 'accuracy', direction: 'max', keys: ['accuracy'] },
  imageCaptioningCOCO: { metric: 'BLEU Score', direction: 'max', keys: ['BLEU Score'] },
  languageModelingFineWeb: { metric: 'val_loss', direction: 'min', keys: ['val_loss'] },
  naturalLanguageInferenceMNLI: { metric: 'validation_accuracy', direction: 'max', keys: ['validation_accuracy'] },
  battleOfSexes: { metric: 'Score', direction: 'max', keys: ['Score'] },
  prisonersDilemma: { metric: 'Score', direction: 'max', keys: ['Score'] },
  blotto: { metric: 'Score', direction: 'max', keys: ['Score'] },
  rlBreakoutMinAtar: { metric: 'Reward Mean', direction: 'max', keys: ['Reward Mean', 'Reward Std'] },
  rlMetaMazeMisc: { metric: 'Reward Mean', direction: 'max', keys: ['Reward Mean', 'Reward Std'] },
  rlMountainCarContinuous: { metric: 'Reward Mean', direction: 'max', keys: ['Reward Mean', 'Reward Std'] },
};

test('tasks/ holds exactly the 13 MLGym-Bench tasks', () => {
  assert.deepEqual(listTaskIds(), Object.keys(MLGYM_BENCH).sort());
});

for (const [id, expected] of Object.entries(MLGYM_BENCH)) {
  test(`${id}: MLGym's metric and direction, baseline keys, an image, a scored submission`, () => {
    const { config } = loadTask(id);
    assert.equal(config.id, id);
    assert.deepEqual(config.metric, { name: expected.metric, direction: expected.direction });
    assert.ok(config.baseline_scores.length > 0, 'a baseline score is recorded');
    assert.deepEqual(Object.keys(config.baseline_scores[0]).sort(), [...expected.keys].sort());
    assert.match(config.image, /^mlgym\/task-(python|ml|rl):latest$/);
    assert.ok(config.baseline_source.length > 0);
    assert.ok(config.evaluation_paths.length > 0);
    assert.match(
      config.description,
      new RegExp(config.submission_path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      'the description names the file that is scored',
    );
  });
}

test('mlgym tasks list shows id, domain, metric, direction, baseline and image for every task', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'tasks', 'list', '--json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const { tasks } = JSON.parse(run.stdout) as { tasks: Record<string, unknown>[] };
  assert.equal(tasks.length, 13);
  for (const row of tasks) {
    const expected = MLGYM_BENCH[row.id as string];
    assert.ok(expected, `unexpected task ${String(row.id)}`);
    assert.equal(row.metric, expected.metric);
    assert.equal(row.direction, expected.direction);
    assert.equal(typeof row.baseline, 'number');
    assert.equal(typeof row.domain, 'string');
    assert.equal(typeof row.image, 'string');
  }
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Evaluation } from '../../lib/episode';
import { listTaskIds, TASKS_DIR } from '../../scripts/lib/tasks';
import { ensureDocker } from '../support/docker';
import { runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * Every shipped task, end to end through the episode engine in its real image on the small
 * offline data (prepared on first use): its demo replay runs the baseline, validates and submits.
 * Metrics must have the shape of MLGym's baseline scores. Tasks with a known better solution
 * apply it in the demo, and it must score better than the baseline it started from.
 */
const KNOWN_BETTER = new Set([
  'battleOfSexes',
  'prisonersDilemma',
  'blotto',
  '3SATTime',
  'regressionKaggleHousePrice',
  'rlMountainCarContinuous',
  'languageModelingFineWeb',
  'naturalLanguageInferenceMNLI',
]);

/**
 * The games need no data and no training: their demo validates the untouched baseline exactly as
 * MLGym's evaluation does, so it must reproduce the recorded score. (The RL demos train for seconds
 * instead of MLGym's budget; the data tasks run on the small sample.)
 */
const REPRODUCES_BASELINE = new Set(['battleOfSexes', 'prisonersDilemma', 'blotto']);

let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;
before(async () => {
  docker = ensureDocker();
  process.env.MLGYM_DATA = 'small';
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
});

for (const taskId of listTaskIds()) {
  test(`${taskId}: demo replay in Docker runs the baseline, validates and submits`, async (t) => {
    if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
    const started = Date.now();
    const taskFile = path.join(TASKS_DIR, taskId, 'task.yaml');
    const input = h.input({ taskFile, runtime: 'docker', model: `replay:${path.join(TASKS_DIR, taskId, 'demo.traj')}` });
    const result = await runEpisode(h, input);
    const { name: metric, direction } = input.task.metric;
    const reference = input.task.baseline_scores[0];
    t.diagnostic(
      `${taskId}: ${result.exitStatus} in ${Math.round((Date.now() - started) / 1000)} s, ` +
        `evaluations ${JSON.stringify(result.evaluations.map((e) => e.metrics[metric]))}, recorded baseline ${reference[metric]}`,
    );
    assert.equal(result.exitStatus, 'submitted');
    const first = result.evaluations[0];
    const final = result.evaluations.at(-1)!;
    assert.equal(first.kind, 'validate');
    assert.equal(final.kind, 'submit');
    for (const evaluation of result.evaluations) assertShape(evaluation, Object.keys(reference));
    if (REPRODUCES_BASELINE.has(taskId)) {
      assert.ok(Math.abs(first.metrics[metric] - reference[metric]) < 1e-3, `baseline validated at ${first.metrics[metric]}, recorded ${reference[metric]}`);
    }
    if (KNOWN_BETTER.has(taskId)) {
      const better = direction === 'max' ? final.metrics[metric] > first.metrics[metric] : final.metrics[metric] < first.metrics[metric];
      assert.ok(better, `submitted ${metric} ${final.metrics[metric]} is not better (${direction}) than the validated baseline ${first.metrics[metric]}`);
    }
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { observation: string }[] };
    assert.ok(traj.trajectory.length >= 3, 'the demo took its steps');
  });
}

function assertShape(evaluation: Evaluation, keys: string[]): void {
  for (const key of keys) {
    assert.ok(
      Number.isFinite(evaluation.metrics[key]),
      `${evaluation.kind} at step ${evaluation.step} lacks metric "${key}": ${JSON.stringify(evaluation.metrics)}`,
    );
  }
}

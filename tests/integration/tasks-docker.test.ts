import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listTaskIds, TASKS_DIR } from '../../scripts/lib/tasks';
import { ensureDocker } from '../support/docker';
import { runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * Every shipped task, end to end through the episode engine in a real container: its demo replay
 * opens the starter code, validates the baseline, edits it with the agent tools, validates and
 * submits. The baseline must score as recorded and the improved strategy better.
 */
let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;
before(async () => {
  docker = ensureDocker();
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
});

for (const taskId of listTaskIds()) {
  test(`${taskId}: demo replay in Docker validates the baseline, improves on it and submits`, async (t) => {
    if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
    const taskFile = path.join(TASKS_DIR, taskId, 'task.yaml');
    const input = h.input({ taskFile, runtime: 'docker', model: `replay:${path.join(TASKS_DIR, taskId, 'demo.traj')}` });
    const result = await runEpisode(h, input);
    const metric = input.task.metric.name;
    const baseline = input.task.baseline_scores[0][metric];
    t.diagnostic(`${taskId}: ${result.exitStatus}, evaluations ${JSON.stringify(result.evaluations.map((e) => e.metrics[metric]))}, baseline ${baseline}`);
    assert.equal(result.exitStatus, 'submitted');
    const [first, ...rest] = result.evaluations;
    assert.equal(first.kind, 'validate');
    assert.ok(Math.abs(first.metrics[metric] - baseline) < 1e-3, `baseline validated at ${first.metrics[metric]}, recorded ${baseline}`);
    const final = rest.at(-1)!;
    assert.equal(final.kind, 'submit');
    assert.ok(final.metrics[metric] > baseline, `submitted ${final.metrics[metric]} does not beat the baseline ${baseline}`);
    const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8'));
    // The agent tools ran inside the container: `open` shows its window header, `edit` its result.
    assert.match(traj.trajectory[0].observation, /\[File: \/home\/agent\/workspace\/strategy\.py/);
    assert.match(traj.trajectory[2].observation, /File updated/);
  });
}

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { TASKS_DIR } from '../../scripts/lib/tasks';
import { ensureDocker } from '../support/docker';
import { runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * 3SATTime's evaluator cannot be fooled by a heuristic that tampers with the solver it runs in:
 * the answers are checked against the formulas as the evaluator read them itself. The replay
 * installs two cheats in turn, through the real episode engine in Docker on the small data:
 *  - emptying the solver's clause list, so that it answers "satisfiable" at once with an
 *    assignment that satisfies nothing;
 *  - swapping the clauses for a contradiction, so that it answers "unsatisfiable" at once.
 * Each validation must fail with a message naming the instance and what was wrong, and the
 * episode must end without a score.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests/fixtures/cheats/3SATTime-mutating-heuristic.traj');

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

test('3SATTime: a heuristic that mutates the solver data fails the evaluation, naming the instance, and scores nothing', async (t) => {
  if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
  const taskFile = path.join(TASKS_DIR, '3SATTime', 'task.yaml');
  const input = h.input({ taskFile, runtime: 'docker', model: `replay:${FIXTURE}` });
  const result = await runEpisode(h, input);
  t.diagnostic(`3SATTime cheat: ${result.exitStatus}, evaluations ${JSON.stringify(result.evaluations)}`);

  assert.equal(result.exitStatus, 'evaluation_format_error (submit)');
  assert.deepEqual(result.evaluations, [], 'no evaluation of a cheating heuristic is scored');
  assert.equal(result.score, undefined);
  assert.equal(result.bestScore, undefined);

  const traj = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { action: string; observation: string }[] };
  const observations = traj.trajectory.filter((s) => s.action.trim() === 'validate').map((s) => s.observation);
  assert.equal(observations.length, 2, 'both validations are in the trajectory');
  const [emptied, contradicted] = observations;
  t.diagnostic(`validation observations:\n${observations.join('\n---\n')}`);
  for (const observation of observations) {
    assert.match(observation, /^Evaluation failed: the evaluator exited with code 1\./);
    assert.doesNotMatch(observation, /Evaluation score/);
  }
  assert.match(
    emptied,
    /wrong answer on instance test-\d{5} \(\d+ variables, \d+ clauses\): the solver answered SAT, but its assignment leaves clause \d+ \[-?\d+, -?\d+, -?\d+\] unsatisfied/,
  );
  assert.match(contradicted, /wrong answer on instance test-\d{5} \(\d+ variables, \d+ clauses\): the solver answered UNSAT, but the formula is satisfiable/);
});

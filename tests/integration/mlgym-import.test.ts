import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadTask } from '../../scripts/lib/tasks';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { ensureDocker } from '../support/docker';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * MLGym's own task files run as they are: starter code and the local dataset resolve against the
 * checkout, the dataset config against configs/, files land in the workspace by base name, and the
 * task's evaluator scores the submission with MLGym's support files beside it.
 */
const CHECKOUT = path.join(REPO_ROOT, 'tests/fixtures/mlgym-checkout');
const TASK_FILE = path.join(CHECKOUT, 'configs/tasks/sumTask.yaml');
let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;
const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-import-'));

before(async () => {
  docker = ensureDocker();
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('an MLGym task file converts: base-name starter files, dataset docs, support files read-only', () => {
  const { config, dir } = loadTask(TASK_FILE);
  assert.equal(config.id, 'sumTask');
  assert.deepEqual(config.starter_code, ['solve.py']);
  assert.deepEqual(config.evaluation_paths, ['evaluate.py']);
  assert.deepEqual(config.evaluator_support_paths, ['checker.py']);
  assert.equal(config.submission_path, 'solve.py');
  assert.deepEqual(config.metric, { name: 'Score', direction: 'max' });
  assert.deepEqual(config.dataset_configs, [{ name: 'Numbers', description: 'One integer per line.', data_path: 'data/sumTask/data', is_local: true }]);
  assert.equal(readFileSync(path.join(dir, 'data', 'numbers.txt'), 'utf8'), '3\n4\n5\n');
});

test('MLGym task files that cannot run say why and what to do instead', () => {
  const configs = path.join(scratch, 'configs');
  const write = (rel: string, text: string) => {
    const file = path.join(configs, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  write('datasets/missing.yaml', 'name: Missing\ndata_path: data/nowhere\nis_local: true\n');
  const noData = write('tasks/noData.yaml', 'id: noData\nname: n\ndescription: d\ndataset_configs: [datasets/missing.yaml]\nbaseline_scores: [{Score: 1}]\n');
  assert.throws(() => loadTask(noData), /the dataset "Missing" should be in .*data\/nowhere, which does not exist/);
  const model = write('tasks/rlThing.yaml', 'id: rlThing\nname: n\ndescription: d\ntask_entrypoint: ModelSubmissionTasks\nbaseline_scores: [{Reward Mean: 1}]\n');
  assert.throws(() => loadTask(model), /ModelSubmissionTasks tasks submit a folder of checkpoints.*--task <id>/);
  // Also when we ship a task of that id: ours scores one file, MLGym's submits checkpoint folders.
  const shipped = write('tasks/rlMountainCarContinuous.yaml', 'id: rlMountainCarContinuous\nname: n\ndescription: d\ntask_entrypoint: ModelSubmissionTasks\nbaseline_scores: [{Reward Mean: 1}]\n');
  assert.throws(() => loadTask(shipped), /ModelSubmissionTasks tasks submit a folder of checkpoints.*--task <id>/);
});

test('an MLGym task file runs through the episode engine in Docker', async (t) => {
  if (!docker.ok) return t.skip(docker.reason);
  const traj = path.join(scratch, 'sum.traj');
  const steps = ['cat data/numbers.txt; ls', 'validate', "printf 'def solve(numbers):\\n    return sum(numbers)\\n' > solve.py", 'validate', 'submit'];
  writeFileSync(traj, JSON.stringify({ trajectory: steps.map((command) => ({ response: reply(command) })) }));
  const result = await runEpisode(h, h.input({ taskFile: TASK_FILE, runtime: 'docker', model: `replay:${traj}` }));
  assert.equal(result.exitStatus, 'submitted');
  assert.deepEqual(
    result.evaluations.map((e) => [e.kind, e.metrics.Score]),
    [
      ['validate', 0],
      ['validate', 1],
      ['submit', 1],
    ],
  );
  const { trajectory } = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { observation: string }[] };
  assert.match(trajectory[0].observation, /3\n4\n5\n/);
  assert.match(trajectory[0].observation, /checker\.py/);
});

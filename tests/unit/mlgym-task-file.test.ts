import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { parentImageFor, parseRequirements, requirementsToInstall } from '../../lib/mlgym-requirements';
import { convertMlgymTask, MlgymFileProblem, parseMlgymTaskFile } from '../../lib/mlgym-task-file';
import { TaskConfig } from '../../lib/task-config';
import { REPO_ROOT } from '../../scripts/lib/settings';

/** MLGym's RL requirements file (data/rlMountainCarContinuous/requirements.txt). */
const RL_REQUIREMENTS = 'jax[cuda12]\ngymnax\nflax\noptax\ntqdm\nnumpy\ntensorflow_probability\ndotmap';
const RL_IMAGE = { jax: '0.4.38', jaxlib: '0.4.38', gymnax: '0.0.8', flax: '0.10.2', optax: '0.2.4', tqdm: '4.67.1', numpy: '1.26.4', dotmap: '1.3.30' };

test('requirements: what the parent image has is kept, CUDA extras follow the machine', () => {
  const requirements = parseRequirements(RL_REQUIREMENTS);
  assert.equal(parentImageFor(requirements), 'mlgym/task-rl:latest');
  assert.equal(parentImageFor(parseRequirements('torch\nnltk\npycocotools')), 'mlgym/task-ml:latest');
  assert.deepEqual(requirementsToInstall(requirements, RL_IMAGE, false), ['tensorflow-probability']);
  // With GPUs, the parent's jax gains its CUDA plugin at the same version.
  assert.deepEqual(requirementsToInstall(requirements, RL_IMAGE, true), ['jax[cuda12]==0.4.38', 'tensorflow-probability']);
  // New packages keep their pins and markers; their CUDA extras go on CPU machines.
  const extra = parseRequirements('Jax_Lib[cuda12,foo] >=0.4 ; python_version >= "3.9"  # pinned\n--extra-index-url https://example.org/simple\n\n# comment');
  assert.deepEqual(requirementsToInstall(extra, {}, false), ['jax-lib[foo] >=0.4 ; python_version >= "3.9"', '--extra-index-url https://example.org/simple']);
});

const GAME = {
  id: 'prisonersDilemma',
  name: "Prisoner's Dilemma",
  description: 'Play.',
  task_entrypoint: 'PythonSubmissionTasks',
  starter_code: ['data/prisonersDilemma/target.py', 'data/prisonersDilemma/evaluate.py', 'data/prisonersDilemma/strategy.py'],
  baseline_paths: ['evaluate.py'],
  baseline_scores: [{ Score: 2.37 }],
  evaluation_paths: ['evaluate.py'],
};

const convert = (raw: Record<string, unknown>, starter: string[], ours?: TaskConfig) =>
  TaskConfig.parse(
    convertMlgymTask({
      mlgym: parseMlgymTaskFile(raw),
      file: '/x/configs/tasks/t.yaml',
      starter,
      datasets: [],
      ours,
      image: 'img',
      hubFolders: [],
      hiddenFiles: [],
    }),
  );

test("each of MLGym's task classes: its submission, MLGym's evaluation command, what the score is worth", () => {
  const game = convert(GAME, ['target.py', 'evaluate.py', 'strategy.py']);
  assert.deepEqual(
    [game.submission_path, game.submission_kind, game.integrity, game.evaluation_command, game.evaluator_support_paths, game.starter_code],
    ['strategy.py', 'file', 'mlgym-evaluator', 'python evaluate.py', ['target.py'], ['strategy.py']],
  );
  const csv = convert({ ...GAME, task_entrypoint: 'CSVSubmissionTasks', baseline_paths: ['baseline.py'], baseline_scores: [{ rmse: 3 }] }, [
    'baseline.py',
    'evaluate.py',
  ]);
  assert.deepEqual(
    [csv.submission_path, csv.integrity, csv.evaluation_command, csv.metric],
    ['submission.csv', 'trusted', 'python evaluate.py --submission_file submission.csv', { name: 'rmse', direction: 'min' }],
  );
  const rl = convert({ ...GAME, task_entrypoint: 'ModelSubmissionTasks', baseline_paths: ['src/train.py'], baseline_scores: [{ 'Reward Mean': 1 }] }, [
    'src',
    'evaluate.py',
  ]);
  assert.deepEqual(
    [rl.submission_path, rl.submission_kind, rl.integrity, rl.starter_code, rl.evaluator_support_paths],
    ['checkpoints', 'workspace', 'mlgym-evaluator', ['src'], []],
  );
  assert.match(rl.evaluation_command, /^python evaluate\.py --config_fname "\$\(find \. -type f -name '\*\.yaml' \| head -n 1\)"$/);
  const lm = convert({ ...GAME, task_entrypoint: 'LMSubmissionTasks', baseline_paths: ['baseline.py'], baseline_scores: [{ val_loss: 4 }] }, [
    'baseline.py',
    'evaluate.py',
  ]);
  assert.deepEqual([lm.submission_kind, lm.metric.direction], ['workspace', 'min']);
  // One process needs no launcher, only the environment torchrun would give it; two GPUs get torchrun.
  assert.match(lm.evaluation_command, /^env RANK=0 .*WORLD_SIZE=1 .*python evaluate\.py$/);
  const mnli = TaskConfig.parse(YAML.parse(readFileSync(path.join(REPO_ROOT, 'tasks/naturalLanguageInferenceMNLI/task.yaml'), 'utf8')));
  const lmOnTwoGpus = convert({ ...GAME, task_entrypoint: 'LMSubmissionTasks', baseline_paths: [] }, ['evaluate.py'], {
    ...mnli,
    resources: { ...mnli.resources, gpus: 2 },
  });
  assert.match(lmOnTwoGpus.evaluation_command, /^python -m torch\.distributed\.run --standalone --nproc_per_node=2 evaluate\.py$/);
  // MLGym's default class when a file names none is CSVSubmissionTasks.
  const noEntrypoint: Record<string, unknown> = { ...GAME };
  delete noEntrypoint.task_entrypoint;
  assert.equal(convert(noEntrypoint, ['target.py', 'evaluate.py', 'strategy.py']).submission_path, 'submission.csv');
});

test('bad MLGym task files name the field', () => {
  const problem = (fn: () => unknown, field: string, detail: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof MlgymFileProblem && err.field === field && detail.test(err.message));
  problem(() => convert({ ...GAME, task_entrypoint: 'BaseMLTask' }, ['evaluate.py', 'strategy.py']), 'task_entrypoint', /unknown task class "BaseMLTask"/);
  problem(() => parseMlgymTaskFile({ ...GAME, baseline_scores: 'high' }), 'baseline_scores', /./);
  problem(() => parseMlgymTaskFile({ ...GAME, use_generic_conda: false }), 'requirements_path', /use_generic_conda is false/);
  problem(() => convert(GAME, ['target.py', 'strategy.py']), 'evaluation_paths', /evaluate\.py is not in the workspace/);
  problem(() => convert({ ...GAME, baseline_scores: [] }, ['target.py', 'evaluate.py', 'strategy.py']), 'baseline_scores', /no metric/);
  problem(() => convert(GAME, ['target.py', 'evaluate.py']), 'starter_code', /scores a Python file/);
});

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dataRoot, prepareTaskData } from '../../activities/sandbox/task-data';
import type { Evaluation } from '../../lib/episode';
import { loadTask, type LoadedTask } from '../../scripts/lib/tasks';
import { runOffline } from '../../scripts/lib/docker-cli';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { ensureDocker } from '../support/docker';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * MLGym's own task files run as they are: starter code and local datasets resolve against the
 * checkout, dataset configs against configs/, files land in the workspace by base name, the image
 * provides MLGym's generic environment (or the file's requirements), data MLGym ships only as a
 * recipe is made, Hub datasets are served offline, and MLGym's evaluator scores the submission.
 * Our own miniature checkout covers the conversion; MLGym's real files (the checkout subset in
 * ../shared) run end to end in Docker.
 */
const OUR_CHECKOUT = path.join(REPO_ROOT, 'tests/fixtures/mlgym-checkout');
const MLGYM_CHECKOUT = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout');
const mlgymFile = (name: string) => path.join(MLGYM_CHECKOUT, 'configs', 'tasks', `${name}.yaml`);

let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;
const scratch = mkdtempSync(path.join(tmpdir(), 'mlgym-import-'));

before(async () => {
  docker = ensureDocker();
  if (!existsSync(MLGYM_CHECKOUT) && process.env.CI === 'true')
    throw new Error(`MLGym's checkout subset is required when CI=true: ${MLGYM_CHECKOUT} is missing`);
  // The Hub datasets of the image tasks are served from our small prepared copies.
  process.env.MLGYM_DATA = 'small';
  if (docker.ok) {
    for (const id of ['imageClassificationCifar10', 'imageClassificationFMnist']) {
      const ours = loadTask(id);
      await prepareTaskData(ours.config, ours.dir, { variant: 'small', runtime: 'docker' });
    }
  }
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Skips without Docker or without MLGym's checkout (never under CI=true, see before()). */
function needsMlgym(t: { skip(reason: string): void }): boolean {
  if (!docker.ok) t.skip(`Docker is not available: ${docker.reason}`);
  else if (!existsSync(MLGYM_CHECKOUT)) t.skip(`MLGym's checkout subset is not at ${MLGYM_CHECKOUT}`);
  else return true;
  return false;
}

/** A replay that writes a file with printf (no single quotes inside), one line per argument. */
function writeFileCommand(name: string, lines: string[]): string {
  assert.ok(
    lines.every((l) => !l.includes("'")),
    'printf lines must not hold single quotes',
  );
  return `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${name}`;
}

async function replay(task: LoadedTask, name: string, commands: string[]) {
  const traj = path.join(scratch, `${name}.traj`);
  writeFileSync(traj, JSON.stringify({ trajectory: commands.map((command) => ({ response: reply(command) })) }));
  return runEpisode(h, h.input({ taskFile: task.file, runtime: 'docker', model: `replay:${traj}` }));
}

const observations = (trajectoryPath: string) =>
  (JSON.parse(readFileSync(trajectoryPath, 'utf8')) as { trajectory: { observation: string }[] }).trajectory.map((s) => s.observation);

const scores = (evaluations: Evaluation[], metric: string) => evaluations.map((e) => [e.kind, e.metrics[metric]]);

test('an MLGym task file converts: base-name starter files, dataset docs, support files read-only, MLGym generic image', () => {
  const { config, dir } = loadTask(path.join(OUR_CHECKOUT, 'configs/tasks/sumTask.yaml'));
  assert.equal(config.id, 'sumTask');
  assert.deepEqual(config.starter_code, ['solve.py']);
  assert.deepEqual(config.evaluation_paths, ['evaluate.py']);
  assert.deepEqual(config.evaluator_support_paths, ['checker.py']);
  assert.equal(config.submission_path, 'solve.py');
  assert.equal(config.image, 'mlgym/task-ml:latest');
  // MLGym's evaluator imports the agent's module: its score is only as good as that code.
  assert.equal(config.integrity, 'mlgym-evaluator');
  assert.equal(config.evaluation_command, 'python evaluate.py');
  assert.deepEqual(config.metric, { name: 'Score', direction: 'max' });
  assert.deepEqual(config.dataset_configs, [{ name: 'Numbers', description: 'One integer per line.', data_path: 'data/sumTask/data', is_local: true }]);
  assert.equal(readFileSync(path.join(dir, 'data', 'numbers.txt'), 'utf8'), '3\n4\n5\n');
  // Importing again reuses the same content-addressed folder.
  assert.equal(loadTask(path.join(OUR_CHECKOUT, 'configs/tasks/sumTask.yaml')).dir, dir);
});

test('an import that fails half-way leaves nothing behind: not in .mlgym/imported, not in the data cache', (t) => {
  if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
  const checkout = path.join(scratch, 'broken-checkout');
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(checkout, rel)), { recursive: true });
    writeFileSync(path.join(checkout, rel), text);
  };
  write('configs/datasets/half.yaml', 'name: Half\ndata_path: data/brokenSplit/data\nis_local: true\n');
  write(
    'configs/tasks/brokenSplit.yaml',
    'id: brokenSplit\nname: n\ndescription: d\ntask_entrypoint: CSVSubmissionTasks\ndataset_configs: [datasets/half.yaml]\nstarter_code: [data/brokenSplit/evaluate.py]\nevaluation_paths: [evaluate.py]\nbaseline_scores: [{Score: 1}]\n',
  );
  write('data/brokenSplit/evaluate.py', 'print(1)\n');
  // A split script that writes part of its output, then fails.
  write(
    'data/brokenSplit/_helpers/_generate_split.py',
    'import os\nos.makedirs("../data")\nopen("../data/train.csv", "w").write("x\\n1\\n")\nraise SystemExit("out of disk")\n',
  );
  const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const imported = path.join(REPO_ROOT, '.mlgym', 'imported');
  const made = path.join(dataRoot(), '_mlgym');
  // The staging folder itself may be left (empty: it is where every build starts); what is in it may not.
  const state = () => [listing(imported), listing(made).filter((name) => name !== '.staging'), listing(path.join(made, '.staging'))];
  const before = state();
  assert.throws(
    () => loadTask(path.join(checkout, 'configs/tasks/brokenSplit.yaml')),
    /: dataset_configs: MLGym's .*_generate_split\.py failed in mlgym\/task-ml:latest: .*out of disk/,
  );
  assert.deepEqual(state(), before);
});

/** MLGym's benchmark files whose data cannot exist here, and the field that says so. */
const REFUSED: Record<string, RegExp> = {
  '3SATTime':
    /dataset_configs: datasets\/3SAT\.yaml puts the dataset .* which does not exist \(MLGym does not ship it\); our task 3SATTime prepares its data: run it with --task 3SATTime$/,
  imageCaptioningCOCO: /dataset_configs: datasets\/coco\.yaml .*run it with --task imageCaptioningCOCO$/,
  languageModelingFineWeb: /dataset_configs: datasets\/fineWeb\.yaml .*run it with --task languageModelingFineWeb$/,
  naturalLanguageInferenceMNLI:
    /evaluation_paths: data\/bertMNLI\/evaluate\.py loads the Hugging Face dataset multi_nli, which runs offline from a local copy: put it in .*\/multi_nli$/,
  regressionHousePrice: /dataset_configs: datasets\/housePrice\.yaml not found/,
  regressionHousingPrice: /task_entrypoint: unknown task class "BaseMLTask"/,
};

test("every task file of MLGym's checkout imports and validates, or says in one line which field stops it", (t) => {
  if (!needsMlgym(t)) return;
  const names = readdirSync(path.join(MLGYM_CHECKOUT, 'configs', 'tasks'))
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => n.replace(/\.yaml$/, ''));
  for (const name of Object.keys(REFUSED)) assert.ok(names.includes(name), `${name} is not in ${names.join(', ')}`);
  for (const name of names) {
    if (name in REFUSED) {
      assert.throws(
        () => loadTask(mlgymFile(name)),
        (err: Error) => {
          assert.ok(err.message.startsWith(`${mlgymFile(name)}: `), err.message);
          assert.equal(err.message.split('\n').length, 1, err.message);
          assert.match(err.message, REFUSED[name]);
          return true;
        },
      );
      continue;
    }
    const { config } = loadTask(mlgymFile(name));
    const requirements = readFileSync(mlgymFile(name), 'utf8').includes('use_generic_conda: false');
    if (requirements) assert.match(config.image, /^mlgym\/mlgym-requirements:[0-9a-f]{16}$/, name);
    else assert.equal(config.image, 'mlgym/task-ml:latest', name);
    if (config.task_entrypoint === 'ModelSubmissionTasks') {
      assert.deepEqual([config.submission_kind, config.submission_path, config.integrity], ['workspace', 'checkpoints', 'mlgym-evaluator'], name);
      assert.deepEqual(config.starter_code, ['src'], name);
    }
    if (config.task_entrypoint === 'CSVSubmissionTasks') assert.equal(config.integrity, 'trusted', name);
  }
  // The Hub datasets' local copies are folders named as the dataset, next to the evaluator.
  const cifar = loadTask(mlgymFile('imageClassificationCifar10'));
  assert.deepEqual(cifar.config.evaluator_support_paths, ['uoft-cs/cifar10']);
  assert.deepEqual(readdirSync(path.join(cifar.dir, 'uoft-cs/cifar10')).sort(), ['test-00000-of-00001.parquet', 'train-00000-of-00001.parquet']);
});

test("House Price: MLGym's split is made from the helpers it ships; the answers stay with the evaluator", (t) => {
  if (!needsMlgym(t)) return;
  const { config, dir } = loadTask(mlgymFile('regressionKaggleHousePrice'));
  const rows = (file: string) =>
    readFileSync(path.join(dir, 'data', file), 'utf8')
      .trim()
      .split('\n').length - 1;
  assert.deepEqual(['train.csv', 'validation.csv', 'test.csv', 'answer.csv'].map(rows), [1022, 146, 292, 292]);
  assert.deepEqual(config.hidden_files, ['data/answer.csv']);
  assert.equal(config.evaluation_command, 'python evaluate.py --submission_file submission.csv');
  // Our task of the same id lends the priority metric MLGym's paper ranks by.
  assert.deepEqual(config.metric, { name: 'r2', direction: 'max' });
});

test("prisonersDilemma: MLGym's evaluator (numpy) scores the starter strategy as MLGym did, and a strategy that imports numpy", async (t) => {
  if (!needsMlgym(t)) return;
  const task = loadTask(mlgymFile('prisonersDilemma'));
  const strategy = ['import numpy as np', '', 'def row_strategy(history):', '    return int(np.int64(1))'];
  const result = await replay(task, 'pd', ['validate', writeFileCommand('strategy.py', strategy), 'validate', 'submit']);
  assert.equal(result.exitStatus, 'submitted');
  const [starter, numpyStrategy, submitted] = result.evaluations.map((e) => e.metrics.Score);
  assert.deepEqual(
    result.evaluations.map((e) => e.kind),
    ['validate', 'validate', 'submit'],
  );
  // MLGym's recorded baseline: 2.3716 (a random strategy, 10,000 simulated games).
  assert.ok(Math.abs(starter - task.config.baseline_scores[0].Score) < 0.05, `starter strategy scored ${starter}`);
  // Always defecting earns 1 per round against a defector and 5 against a cooperator.
  assert.ok(numpyStrategy > 1 && numpyStrategy < 5, `numpy strategy scored ${numpyStrategy}`);
  // Each evaluation plays 10,000 new games against a random opponent.
  assert.ok(Math.abs(submitted - numpyStrategy) < 0.05, `submitted ${submitted}, validated ${numpyStrategy}`);
});

test("regressionKaggleHousePrice: MLGym's baseline.py runs on the split and validate scores r2 near MLGym's 0.88", async (t) => {
  if (!needsMlgym(t)) return;
  const task = loadTask(mlgymFile('regressionKaggleHousePrice'));
  const result = await replay(task, 'house', ['ls data', 'python baseline.py', 'validate', 'submit']);
  assert.equal(result.exitStatus, 'submitted');
  assert.deepEqual(
    result.evaluations.map((e) => e.kind),
    ['validate', 'submit'],
  );
  for (const evaluation of result.evaluations) {
    assert.ok(Math.abs(evaluation.metrics.r2 - 0.88) < 0.01, `r2 ${evaluation.metrics.r2}`);
    assert.ok(Math.abs(evaluation.metrics.rmse - task.config.baseline_scores[0].rmse) < 100, `rmse ${evaluation.metrics.rmse}`);
  }
  const [listing] = observations(result.trajectoryPath);
  assert.match(listing, /train\.csv/);
  assert.doesNotMatch(listing, /answer\.csv/);
});

test("imageClassificationFMnist: the Hub dataset loads by its name offline, for the agent and for MLGym's evaluator", async (t) => {
  if (!needsMlgym(t)) return;
  const task = loadTask(mlgymFile('imageClassificationFMnist'));
  // A nearest-class-mean classifier on load_dataset("zalando-datasets/fashion_mnist"), as MLGym's baseline loads it.
  const classify = [
    'import numpy as np',
    'import pandas as pd',
    'from datasets import load_dataset',
    'data = load_dataset("zalando-datasets/fashion_mnist")',
    'pixels = lambda split: np.stack([np.asarray(image, dtype=np.float32).ravel() for image in data[split]["image"]])',
    'train, test, labels = pixels("train"), pixels("test"), np.array(data["train"]["label"])',
    'means = np.stack([train[labels == k].mean(axis=0) for k in range(10)])',
    'guess = ((test[:, None, :] - means[None]) ** 2).sum(axis=-1).argmin(axis=1)',
    'pd.DataFrame({"label": guess}).to_csv("submission.csv", index=False)',
  ];
  const result = await replay(task, 'fmnist', [writeFileCommand('classify.py', classify), 'python classify.py', 'validate', 'submit']);
  assert.equal(result.exitStatus, 'submitted');
  assert.deepEqual(
    result.evaluations.map((e) => e.kind),
    ['validate', 'submit'],
  );
  const accuracy = result.evaluations[0].metrics.accuracy;
  assert.ok(accuracy > 0.3, `accuracy ${accuracy} (chance is 0.1)`);
  assert.deepEqual(scores(result.evaluations, 'accuracy'), [
    ['validate', accuracy],
    ['submit', accuracy],
  ]);
});

test("rlMountainCarContinuous: a checkpoint submission in its requirements image, scored by MLGym's evaluator as the unprivileged user", async (t) => {
  if (!needsMlgym(t)) return;
  const task = loadTask(mlgymFile('rlMountainCarContinuous'));
  assert.equal(task.config.integrity, 'mlgym-evaluator');
  // Five untrained checkpoints of a small network, saved as MLGym's train.py saves them.
  const checkpoints = [
    'import sys',
    'sys.path.insert(0, "src")',
    'import jax',
    'from helpers import load_config, save_pkl_object',
    'from networks import get_model_ready',
    'config = load_config("src/config.yaml", 42)',
    'for i, rng in enumerate(jax.random.split(jax.random.PRNGKey(0), 5)):',
    '    model, params = get_model_ready(rng, config.train_config)',
    '    save_pkl_object({"network": params, "train_config": config.train_config}, f"checkpoints/config-42-{i}.pkl")',
  ];
  const result = await replay(task, 'rl', [
    'validate',
    "sed -i 's/num_hidden_units: 256/num_hidden_units: 16/; s/num_hidden_layers: 4/num_hidden_layers: 1/' src/config.yaml",
    // The evaluator imports the agent's src/: this line makes it fail if that code ran as root.
    `printf '%s\\n' 'import os' 'assert os.getuid() != 0, "agent code runs as root"' >> src/helpers.py`,
    writeFileCommand('checkpoints.py', checkpoints),
    'python checkpoints.py',
    'validate',
    'submit',
  ]);
  assert.equal(result.exitStatus, 'submitted');
  assert.deepEqual(
    result.evaluations.map((e) => e.kind),
    ['validate', 'submit'],
  );
  const reward = result.evaluations[0].metrics['Reward Mean'];
  // Untrained policies on MountainCarContinuous pay for their actions and never reach the goal.
  assert.ok(reward < 0 && reward > -200, `Reward Mean ${reward}`);
  // The same checkpoints scored twice: equal up to the last digits, which XLA's multi-threaded
  // reductions on the CPU may change from one run to the next.
  const submitted = result.evaluations[1].metrics['Reward Mean'];
  assert.ok(Math.abs(submitted - reward) <= 1e-4 * Math.abs(reward), `validate ${reward}, submit ${submitted}`);
  // The first validate, before any checkpoint existed, found nothing to score.
  assert.doesNotMatch(observations(result.trajectoryPath)[0], /Reward Mean/);
  // The results say which code scored the run.
  assert.equal(JSON.parse(readFileSync(result.resultsPath, 'utf8')).integrity, 'mlgym-evaluator');
});

test("naturalLanguageInferenceMNLI: MLGym's evaluator scores the saved model folder, with the Hub copies it loads by name", async (t) => {
  if (!needsMlgym(t)) return;
  // MLGym's MNLI files in a checkout of their own, beside which the Hub copies go.
  const checkout = path.join(scratch, 'mnli-checkout');
  for (const rel of ['configs/tasks/naturalLanguageInferenceMNLI.yaml', 'configs/datasets/mnli.yaml', 'data/bertMNLI']) {
    cpSync(path.join(MLGYM_CHECKOUT, rel), path.join(checkout, rel), { recursive: true });
  }
  const file = path.join(checkout, 'configs/tasks/naturalLanguageInferenceMNLI.yaml');
  assert.throws(() => loadTask(file), /: evaluation_paths: .*evaluate\.py loads the Hugging Face dataset multi_nli, .*put it in .*mnli-checkout\/multi_nli$/);
  const made = runOffline({
    image: 'mlgym/task-ml:latest',
    binds: [`${checkout}:/out`, `${path.join(REPO_ROOT, 'tests/fixtures/hub-copies')}:/fixture:ro`],
    workdir: '/out',
    command: ['python3', '/fixture/make-mnli-copies.py', '/out'],
  });
  assert.equal(made.status, 0, made.stderr);

  const task = loadTask(file);
  assert.deepEqual(task.config.evaluator_support_paths?.slice().sort(), ['bert-base-uncased', 'multi_nli']);
  assert.equal(task.config.integrity, 'mlgym-evaluator');
  // A classifier that always answers "neutral" (label 1), fine-tuned from the local bert-base-uncased.
  const neutral = [
    'import torch',
    'from transformers import BertForSequenceClassification',
    'model = BertForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=3)',
    'model.classifier.weight.data.zero_()',
    'model.classifier.bias.data = torch.tensor([0.0, 5.0, 0.0])',
    'model.save_pretrained("bert_mnli_model")',
  ];
  const result = await replay(task, 'mnli', [writeFileCommand('neutral.py', neutral), 'python neutral.py', 'ls bert_mnli_model', 'validate', 'submit']);
  assert.equal(result.exitStatus, 'submitted');
  assert.match(observations(result.trajectoryPath)[2], /config\.json\s+model\.safetensors/);
  // A quarter of the local validation_matched split is neutral: MLGym's evaluator read it, and our model.
  assert.deepEqual(scores(result.evaluations, 'validation_accuracy'), [
    ['validate', 25],
    ['submit', 25],
  ]);
  assert.equal(JSON.parse(readFileSync(result.resultsPath, 'utf8')).integrity, 'mlgym-evaluator');
});

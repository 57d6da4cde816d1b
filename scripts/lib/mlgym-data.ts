import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { COMPLETE_MARKER, dataLocation, dataRoot, dataVariant } from '../../activities/sandbox/task-data';
import { hubNamesLoaded } from '../../lib/hub-names';
import { MlgymFileProblem } from '../../lib/mlgym-task-file';
import { DatasetConfig, describeIssues } from '../../lib/task-config';
import { buildOnce } from './build-once';
import { contentHash } from './content-hash';
import { callingUser, imageId, lastLines, runOffline } from './docker-cli';

/**
 * The data of MLGym's task files. MLGym copies a local dataset folder into the workspace as data/
 * and lets the code fetch Hub datasets by name. Here every dataset must be on this machine before
 * an episode starts (sandboxes and evaluations have no network): MLGym's folder as it is, or made
 * by the split script MLGym ships beside it, or a Hub dataset served from a local folder named as
 * the dataset (`load_dataset("uoft-cs/cifar10")` finds it from the workspace). What is made is
 * kept once per content under <data root>/_mlgym/.
 */

/** MLGym's generic environment (its `use_generic_conda`): our ML image provides exactly that. */
export const GENERIC_IMAGE = 'mlgym/task-ml:latest';

/** Hub datasets MLGym's files name that a task of ours prepares (same splits, same columns). */
const PREPARED_BY_OURS: Record<string, string> = {
  'uoft-cs/cifar10': 'imageClassificationCifar10',
  'zalando-datasets/fashion_mnist': 'imageClassificationFMnist',
};

/** Files of MLGym's data folders that hold answers: only the trusted evaluation gets them. */
const ANSWER_FILE = /^(answers?|ground_truth|test_labels)\.(csv|json|txt)$/;

export type DataPlan =
  | { kind: 'folder'; dataset: DatasetConfig; dir: string }
  | { kind: 'split'; dataset: DatasetConfig; helpers: string }
  | { kind: 'hub-folder'; dataset: DatasetConfig; dir: string }
  | { kind: 'hub-prepared'; dataset: DatasetConfig; preparedDir: string };

/** Where a dataset lands: the workspace path and the host folder that fills it. */
export interface PlacedData {
  workspacePath: string;
  hostDir: string;
}

/** Reads one of the task file's dataset configs (relative to configs/, as MLGym resolves them). */
export function readDatasetConfig(configsDir: string, rel: string): DatasetConfig {
  const file = path.join(configsDir, rel);
  if (!existsSync(file)) throw new MlgymFileProblem('dataset_configs', `${rel} not found (${file})`);
  const parsed = DatasetConfig.safeParse(YAML.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new MlgymFileProblem('dataset_configs', `${rel} is not an MLGym dataset config: ${describeIssues(parsed.error, 1)}`);
  }
  return parsed.data;
}

/**
 * Decides where a dataset comes from, checking it can exist before anything is written.
 * `ours` is the id of our task of the same id, when we ship one (a hint for missing data).
 * A Hub dataset that no code loads by that name is only documentation in MLGym (its code loads
 * another name, as MNLI's `nyu-mll/multi_nli` against `load_dataset("multi_nli")`): served when a
 * copy is there, otherwise left out (undefined).
 */
export function planDataset(checkout: string, rel: string, dataset: DatasetConfig, ours: string | undefined, loadedByCode: Set<string>): DataPlan | undefined {
  const dir = path.join(checkout, dataset.data_path);
  if (dataset.is_local) {
    if (isDirectory(dir)) return { kind: 'folder', dataset, dir };
    const helpers = path.join(path.dirname(dir), '_helpers');
    if (existsSync(path.join(helpers, '_generate_split.py'))) return { kind: 'split', dataset, helpers };
    const instead = ours ? `; our task ${ours} prepares its data: run it with --task ${ours}` : '';
    throw new MlgymFileProblem(
      'dataset_configs',
      `${rel} puts the dataset "${dataset.name}" in ${dir}, which does not exist (MLGym does not ship it)${instead}`,
    );
  }
  if (isDirectory(dir)) return { kind: 'hub-folder', dataset, dir };
  if (!loadedByCode.has(dataset.data_path)) return undefined;
  const copyHint = `put the dataset's files in ${dir}`;
  const preparer = PREPARED_BY_OURS[dataset.data_path];
  if (!preparer) {
    throw new MlgymFileProblem(
      'dataset_configs',
      `${rel} names the Hugging Face dataset ${dataset.data_path}, which runs offline from a local copy: ${copyHint}`,
    );
  }
  const variant = dataVariant();
  const prepared = dataLocation(preparer, variant);
  if (!existsSync(path.join(prepared.dir, COMPLETE_MARKER))) {
    const prepare = `npx mlgym tasks prepare ${preparer}${variant === 'small' ? ' --small' : ''}`;
    throw new MlgymFileProblem(
      'dataset_configs',
      `${rel} names the Hugging Face dataset ${dataset.data_path}, which runs offline from a local copy: run \`${prepare}\` (MLGYM_DATA=${variant}), or ${copyHint}`,
    );
  }
  return { kind: 'hub-prepared', dataset, preparedDir: prepared.dir };
}

/** One Python file of the task, read for the Hub names it loads. */
export interface TaskCode {
  /** Its path in the checkout, as the task file names it. */
  rel: string;
  source: string;
  /** MLGym's evaluator: what it loads must be here, or no evaluation can run offline. */
  evaluator: boolean;
}

/**
 * The Hub datasets and models the task's code loads by a name no dataset config covers (MNLI's
 * evaluator: `multi_nli`, `bert-base-uncased`), served from a folder of that name in the checkout,
 * as save_pretrained / the Hub's repository lay them out. The evaluator's must exist, except a
 * model the task description names: the agent makes it. Others missing are said in `missing`.
 */
export function planNamedHubCopies(checkout: string, code: TaskCode[], covered: Set<string>, description: string): { placed: PlacedData[]; missing: string[] } {
  const placed = new Map<string, PlacedData>();
  const missing: string[] = [];
  for (const { rel, source, evaluator } of code) {
    const names = hubNamesLoaded(source);
    const loads = [...names.datasets.map((name) => ({ name, what: 'dataset' })), ...names.models.map((name) => ({ name, what: 'model' }))];
    for (const { name, what } of loads) {
      if (covered.has(name) || placed.has(name)) continue;
      const dir = path.join(checkout, name);
      if (isDirectory(dir)) {
        placed.set(name, { workspacePath: name, hostDir: dir });
        continue;
      }
      if (what === 'model' && description.includes(name)) continue;
      const line = `${rel} loads the Hugging Face ${what} ${name}, which runs offline from a local copy: put it in ${dir}`;
      if (evaluator) throw new MlgymFileProblem('evaluation_paths', line);
      missing.push(line);
    }
  }
  return { placed: [...placed.values()], missing };
}

/** Makes the planned data (once per content) and says where it goes in the workspace. */
export function placeDataset(plan: DataPlan): PlacedData {
  switch (plan.kind) {
    case 'folder':
      return { workspacePath: 'data', hostDir: plan.dir };
    case 'split':
      return { workspacePath: 'data', hostDir: path.join(runSplitScript(plan.helpers), 'data') };
    case 'hub-folder':
      return { workspacePath: plan.dataset.data_path, hostDir: plan.dir };
    case 'hub-prepared':
      return { workspacePath: plan.dataset.data_path, hostDir: servePreparedAsHub(plan.preparedDir, plan.dataset.data_path) };
  }
}

/** The answer files of a data/ folder, as workspace paths. */
export function answerFiles(placed: PlacedData): string[] {
  if (placed.workspacePath !== 'data') return [];
  return readdirSync(placed.hostDir)
    .filter((name) => ANSWER_FILE.test(name))
    .map((name) => `data/${name}`);
}

const mlgymDataDir = () => path.join(dataRoot(), '_mlgym');
const stagingDir = () => path.join(mlgymDataDir(), '.staging');

/**
 * MLGym ships House Price's source CSV and its split script, not the split: the script, run from
 * _helpers/, writes ../data. It runs unchanged on a copy, in the generic image.
 */
function runSplitScript(helpers: string): string {
  const image = requireImage(GENERIC_IMAGE);
  const target = path.join(mlgymDataDir(), `split-${contentHash([image, { tree: helpers }])}`);
  return buildOnce(target, stagingDir(), (staging) => {
    cpSync(helpers, path.join(staging, '_helpers'), { recursive: true });
    const run = runOffline({ image, binds: [`${staging}:/work`], workdir: '/work/_helpers', command: ['python', '_generate_split.py'] });
    if (run.status !== 0 || !isDirectory(path.join(staging, 'data'))) {
      throw new MlgymFileProblem('dataset_configs', `MLGym's ${path.join(helpers, '_generate_split.py')} failed in ${GENERIC_IMAGE}: ${lastLines(run)}`);
    }
  });
}

const HUB_SCRIPT = path.join(__dirname, 'mlgym-hub-dataset.py');

/** Our prepared copy of a Hub dataset, laid out as the Hub's folder (test labels included). */
function servePreparedAsHub(preparedDir: string, hubId: string): string {
  const image = requireImage(GENERIC_IMAGE);
  const marker = readFileSync(path.join(preparedDir, COMPLETE_MARKER), 'utf8');
  const target = path.join(mlgymDataDir(), `hub-${contentHash([hubId, preparedDir, marker, { tree: HUB_SCRIPT }])}`);
  buildOnce(target, stagingDir(), (staging) => {
    // As root: the prepared answers are root-only; the files made are then handed to us.
    const run = runOffline({
      image,
      user: 'root',
      binds: [`${preparedDir}:/prepared:ro`, `${staging}:/out`, `${HUB_SCRIPT}:/opt/mlgym-hub-dataset.py:ro`],
      workdir: '/out',
      command: ['bash', '-c', `python3 /opt/mlgym-hub-dataset.py /prepared /out/dataset && chown -R ${callingUser()} /out`],
    });
    if (run.status !== 0) throw new MlgymFileProblem('dataset_configs', `serving ${preparedDir} as ${hubId} failed: ${lastLines(run)}`);
  });
  return path.join(target, 'dataset');
}

function requireImage(image: string): string {
  const id = imageId(image);
  if (!id)
    throw new MlgymFileProblem(
      'use_generic_conda',
      `the image ${image} (MLGym's generic environment) is not present: build it with \`bash scripts/provision/images.sh\` (Docker must be running)`,
    );
  return id;
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { baseName, checkMlgymTask, convertMlgymTask, entrypointRules, MlgymFileProblem, parseMlgymTaskFile } from '../../lib/mlgym-task-file';
import type { TaskConfig } from '../../lib/task-config';
import { buildOnce } from './build-once';
import { contentHash } from './content-hash';
import { hubNamesLoaded } from '../../lib/hub-names';
import { answerFiles, GENERIC_IMAGE, placeDataset, planDataset, planNamedHubCopies, readDatasetConfig, type TaskCode } from './mlgym-data';
import { ensureRequirementsImage } from './mlgym-image';
import { say, UsageError } from './output';
import { STATE_DIR } from './settings';

/**
 * Runs MLGym's own task files: `mlgym run --task <MLGym checkout>/configs/tasks/<x>.yaml`. MLGym
 * resolves starter code and local datasets against the checkout's root and dataset configs
 * against configs/; it copies starter files into the workspace by their base names and a local
 * dataset to data/. This turns such a file into one of our task folders,
 * .mlgym/imported/<id>-<hash of everything in it>/, with the starter files copied, the data linked
 * (made first when MLGym ships only its recipe) and the image that provides the file's
 * environment (built first when it has its own requirements). Everything is checked before
 * anything is made; the folder is written under another name and renamed when complete.
 */

/** A task file that cannot run: one line naming the file and the field. */
export class MlgymImportError extends UsageError {}

/** True for a task file in MLGym's format (no `metric:`, inside a configs/tasks folder). */
export function isMlgymTaskFile(file: string, raw: unknown): boolean {
  return (
    typeof raw === 'object' &&
    raw !== null &&
    !('metric' in raw) &&
    path.basename(path.dirname(file)) === 'tasks' &&
    path.basename(path.dirname(path.dirname(file))) === 'configs'
  );
}

/** Imports the MLGym task file and returns the task.yaml to load. `ours`: our task of the same id. */
export function importMlgymTask(file: string, raw: unknown, ours: TaskConfig | undefined): string {
  const absolute = path.resolve(file);
  try {
    return importTask(absolute, raw, ours);
  } catch (err) {
    if (err instanceof MlgymFileProblem) throw new MlgymImportError(`${absolute}: ${err.field}: ${err.message}`);
    throw err;
  }
}

function importTask(file: string, raw: unknown, ours: TaskConfig | undefined): string {
  const mlgym = parseMlgymTaskFile(raw);
  entrypointRules(mlgym.task_entrypoint);
  const configsDir = path.dirname(path.dirname(file));
  const checkout = path.dirname(configsDir);

  const starterSources = mlgym.starter_code.map((rel) => path.join(checkout, rel));
  const code = readTaskCode(
    checkout,
    starterSources.filter((source) => existsSync(source)),
    new Set(mlgym.evaluation_paths.map(baseName)),
  );
  const loadedByCode = new Set(code.flatMap(({ source }) => hubNamesLoaded(source).datasets));

  // In MLGym's order: datasets, requirements, then the files to copy.
  const datasetConfigs = mlgym.dataset_configs.map((rel) => ({ rel, dataset: readDatasetConfig(configsDir, rel) }));
  const plans = datasetConfigs.flatMap(({ rel, dataset }) => planDataset(checkout, rel, dataset, ours?.id, loadedByCode) ?? []);
  if (plans.filter((p) => p.kind === 'folder' || p.kind === 'split').length > 1) {
    throw new MlgymFileProblem('dataset_configs', 'more than one local dataset: MLGym would copy them all into data/, which this harness does not');
  }
  const requirements = mlgym.use_generic_conda ? undefined : path.join(checkout, mlgym.requirements_path ?? '');
  if (requirements && !existsSync(requirements))
    throw new MlgymFileProblem('requirements_path', `${mlgym.requirements_path} not found in the MLGym checkout (${requirements})`);
  starterSources.forEach((source, i) => {
    if (!existsSync(source)) throw new MlgymFileProblem('starter_code', `${mlgym.starter_code[i]} not found in the MLGym checkout (${source})`);
  });
  checkMlgymTask(mlgym, starterSources.map(baseName), ours);
  const covered = new Set(datasetConfigs.map(({ dataset }) => dataset.data_path));
  const named = planNamedHubCopies(checkout, code, covered, mlgym.description);

  // The file can run: make what it needs, each once.
  named.missing.forEach((line) => say(`note: ${line}`));
  const placed = [...plans.map(placeDataset), ...named.placed];
  const image = requirements ? ensureRequirementsImage(requirements) : GENERIC_IMAGE;
  const config = convertMlgymTask({
    mlgym,
    file,
    starter: starterSources.map(baseName),
    datasets: datasetConfigs.map(({ dataset }) => dataset),
    ours,
    image,
    hubFolders: placed.filter((p) => p.workspacePath !== 'data').map((p) => p.workspacePath),
    hiddenFiles: placed.flatMap(answerFiles),
  });
  const taskYaml = `# Made by mlgym from ${file}: MLGym's task file as this harness runs it.\n${YAML.stringify(config)}`;
  const key = contentHash([taskYaml, ...starterSources.flatMap((s) => [s, { tree: s }]), ...placed.flatMap((p) => [p.workspacePath, p.hostDir])]);
  const target = path.join(STATE_DIR, 'imported', `${mlgym.id}-${key}`);
  buildOnce(target, path.join(STATE_DIR, 'staging'), (staging) => {
    for (const source of starterSources) {
      const copy = path.join(staging, baseName(source));
      cpSync(source, copy, { recursive: true, dereference: true });
      makeOwnerWritable(copy);
    }
    for (const { workspacePath, hostDir } of placed) {
      const link = path.join(staging, workspacePath);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(hostDir, link);
    }
    writeFileSync(path.join(staging, 'task.yaml'), taskYaml);
  });
  return path.join(target, 'task.yaml');
}

/** The Python files the task brings (folders walked), marked when they are MLGym's evaluator. */
function readTaskCode(checkout: string, sources: string[], evaluators: Set<string>): TaskCode[] {
  const files = (source: string): string[] =>
    statSync(source).isDirectory() ? readdirSync(source).flatMap((name) => files(path.join(source, name))) : source.endsWith('.py') ? [source] : [];
  return sources.flatMap((source) =>
    files(source).map((file) => ({ rel: path.relative(checkout, file), source: readFileSync(file, 'utf8'), evaluator: evaluators.has(baseName(source)) })),
  );
}

/** Copies keep the checkout's modes; a read-only one could not be removed again by a user who is not root. */
function makeOwnerWritable(target: string): void {
  const stat = statSync(target);
  chmodSync(target, stat.mode | 0o200);
  if (stat.isDirectory()) for (const name of readdirSync(target)) makeOwnerWritable(path.join(target, name));
}

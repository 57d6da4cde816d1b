import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { parseRunFolder } from '../../lib/mlgym-run-folder';

/**
 * MLGym's published benchmark runs (`trajectories/` of an MLGym checkout, see
 * ../shared/fixtures/mlgym-checkout/SOURCE.md) and the starter files each of them saw.
 */

export const SHARED_MLGYM_CHECKOUT = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout');

/** Where MLGym's container put the agent's workspace; its `open` views name files by this path. */
const MLGYM_WORKSPACE = '/home/agent/workspace';

const RecordedTrajectory = z.looseObject({
  trajectory: z.array(z.looseObject({ action: z.string(), observation: z.string(), response: z.string(), execution_time: z.number().default(0) })),
  info: z.looseObject({ exit_status: z.string().nullish() }),
});
type RecordedStep = z.infer<typeof RecordedTrajectory>['trajectory'][number];

const RecordedResults = z.looseObject({ agent: z.array(z.record(z.string(), z.number())) });

/** The fields of MLGym's task file this module needs. */
const MlgymTaskFile = z.looseObject({ starter_code: z.array(z.string()).default([]) });

export interface PublishedRun {
  /** The run's folder name, e.g. `metagen-gpt4o2__blotto__default__t-0.00__..._run_0`. */
  folder: string;
  model: string;
  task: string;
  runIndex: number;
  trajPath: string;
  steps: RecordedStep[];
  /** `info.exit_status` as MLGym recorded it ('' when the run ended without one). */
  exitStatus: string;
  /** results.json `agent`: every validate and the final submission, in order. */
  scores: Record<string, number>[];
}

/** How long MLGym's commands and evaluations of the run took in all (its steps' `execution_time`). */
export const recordedSeconds = (run: Pick<PublishedRun, 'steps'>): number => run.steps.reduce((sum, step) => sum + step.execution_time, 0);

/** Every published run in `<checkout>/trajectories/`, sorted by folder name. */
export function listPublishedRuns(checkout = SHARED_MLGYM_CHECKOUT): PublishedRun[] {
  const dir = path.join(checkout, 'trajectories');
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort()
    .map((folder) => loadPublishedRun(path.join(dir, folder)));
}

export function loadPublishedRun(runDir: string): PublishedRun {
  const folder = path.basename(runDir);
  const names = parseRunFolder(folder);
  if (!names) throw new Error(`${runDir}: not an MLGym run folder (<model>__<task>__<config>__t-..__p-..__c-..__install-..__..._run_<i>)`);
  const trajPath = path.join(runDir, `${names.task}.traj`);
  const traj = RecordedTrajectory.parse(JSON.parse(readFileSync(trajPath, 'utf8')));
  const results = RecordedResults.parse(JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')));
  return { folder, ...names, trajPath, steps: traj.trajectory, exitStatus: traj.info.exit_status ?? '', scores: results.agent };
}

/** A file as one `open` showed it: its absolute path, the total line count, and the lines shown. */
interface FileView {
  file: string;
  total: number;
  /** The lines shown, when they are the whole file (1..total, nothing above or below). */
  whole?: string[];
}

const VIEW_HEADER = /^\[File: (.+) \((\d+) lines total\)\]$/;

/** Reads MLGym's file window (`[File: <path> (N lines total)]`, then `<n>:<text>` lines) out of an observation. */
export function parseFileView(observation: string): FileView | undefined {
  const lines = observation.split('\n');
  const at = lines.findIndex((line) => VIEW_HEADER.test(line));
  if (at < 0) return undefined;
  const [, file, totalText] = VIEW_HEADER.exec(lines[at]) as RegExpExecArray;
  const total = Number(totalText);
  const shown: string[] = [];
  for (const line of lines.slice(at + 1, at + 1 + total)) {
    const prefix = `${shown.length + 1}:`;
    if (!line.startsWith(prefix)) break;
    shown.push(line.slice(prefix.length));
  }
  // A window that starts at line 1 and holds all N lines is the whole file ("more lines above/below" otherwise).
  return { file, total, whole: shown.length === total ? shown : undefined };
}

/** Commands that only read files: one of them naming a starter file cannot have changed it. */
const READ_ONLY_COMMANDS = new Set([
  'open',
  'goto',
  'scroll_up',
  'scroll_down',
  'search_file',
  'search_dir',
  'find_file',
  'ls',
  'cat',
  'head',
  'tail',
  'wc',
  'grep',
  'diff',
  'file',
  'stat',
  'pwd',
  'validate',
]);

/**
 * Whether an action run before a file's first `open` could have changed that file. MLGym's `edit`
 * and `insert` change the open file, which is another one until then; a shell command can change it
 * only by naming it (an unnamed change, e.g. by a script, is not detectable here and is not assumed).
 */
export function couldChange(action: string, name: string): boolean {
  const trimmed = action.trim();
  if (/^(edit|insert)\b/.test(trimmed) || !trimmed.includes(name)) return false;
  if (trimmed.includes('>')) return true;
  return trimmed.split(/&&|\|\||[;|\n]/).some((segment) => !READ_ONLY_COMMANDS.has(segment.trim().split(/\s+/)[0] ?? ''));
}

export interface StarterFile {
  /** Path in the checkout, as the task file's starter_code names it (e.g. data/blotto/strategy.py). */
  checkoutPath: string;
  /** Base name: the file's name in the workspace. */
  name: string;
  /** What the run saw: the file's content. */
  content: string;
  /** `run`: rebuilt from the run's first `open` of it; `checkout`: the checkout's current version. */
  source: 'run' | 'checkout';
  /** Why this source (the step of the `open`, or why the run's view could not be used). */
  reason: string;
  differsFromCheckout: boolean;
}

/**
 * The starter files the run saw. A file is rebuilt from the run's first `open` of it when that view
 * shows the whole file and no earlier action could have changed it; otherwise the checkout's version
 * stands. MLGym's window counts lines as awk does, so whether the file ended with a newline is not
 * visible: the checkout's current file decides.
 */
export function rebuildStarterFiles(run: PublishedRun, checkout = SHARED_MLGYM_CHECKOUT): StarterFile[] {
  const taskFile = path.join(checkout, 'configs', 'tasks', `${run.task}.yaml`);
  const { starter_code } = MlgymTaskFile.parse(YAML.parse(readFileSync(taskFile, 'utf8')));
  return starter_code
    .filter((rel) => statSync(path.join(checkout, rel)).isFile())
    .map((checkoutPath) => {
      const current = readFileSync(path.join(checkout, checkoutPath), 'utf8');
      const name = path.basename(checkoutPath);
      const seen = firstWholeView(run.steps, name);
      if (!seen.ok) return { checkoutPath, name, content: current, source: 'checkout', reason: seen.reason, differsFromCheckout: false };
      const content = seen.lines.length === 0 ? '' : seen.lines.join('\n') + (current.endsWith('\n') ? '\n' : '');
      return { checkoutPath, name, content, source: 'run', reason: `first opened at step ${seen.step}`, differsFromCheckout: content !== current };
    });
}

function firstWholeView(steps: RecordedStep[], name: string): { ok: true; step: number; lines: string[] } | { ok: false; reason: string } {
  const file = path.posix.join(MLGYM_WORKSPACE, name);
  for (const [index, step] of steps.entries()) {
    const view = /^open\b/.test(step.action.trim()) ? parseFileView(step.observation) : undefined;
    if (view?.file === file) {
      if (!view.whole) return { ok: false, reason: `its first open (step ${index + 1}) shows only part of it` };
      return { ok: true, step: index + 1, lines: view.whole };
    }
    if (couldChange(step.action, name)) {
      return { ok: false, reason: `step ${index + 1} (${step.action.trim().split('\n')[0]}) may have changed it before it was opened` };
    }
  }
  return { ok: false, reason: 'never opened' };
}

export interface ReplayCheckout {
  /** A temporary MLGym checkout (configs/ and data/) holding the starter files the run saw. */
  root: string;
  taskFile: string;
  remove(): void;
}

/** Copies the checkout's configs/ and data/ into a temporary folder and writes the rebuilt starter files there. */
export function materialiseCheckout(run: PublishedRun, files: StarterFile[], checkout = SHARED_MLGYM_CHECKOUT): ReplayCheckout {
  const root = mkdtempSync(path.join(tmpdir(), 'mlgym-replay-checkout-'));
  for (const part of ['configs', 'data']) {
    cpSync(path.join(checkout, part), path.join(root, part), { recursive: true });
  }
  // The fixture is read-only; its copy must be writable (rebuilt files, prepared data, removal).
  makeWritable(root);
  for (const file of files.filter((f) => f.differsFromCheckout)) writeFileSync(path.join(root, file.checkoutPath), file.content);
  const taskFile = path.join(root, 'configs', 'tasks', `${run.task}.yaml`);
  if (!existsSync(taskFile)) throw new Error(`${checkout}: no task file configs/tasks/${run.task}.yaml for run ${run.folder}`);
  return { root, taskFile, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else if (entry.isFile()) chmodSync(full, statSync(full).mode | 0o200);
  }
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { TaskConfig } from '../../lib/task-config';
import { dirsBetween, type FsEntry, type HostFile, normalizeEntries, type Owner, walkHost } from './entries';
import { TaskLayoutError } from './errors';
import { repoRoot } from './paths';
import type { PreparedData } from './task-data';

/**
 * Which task files go where. This is the security policy of the sandbox: the agent gets the
 * starter code (its own, writable), the evaluator and its support files and data read-only and
 * root-owned, and never the hidden files. The trusted evaluation context gets the evaluator,
 * support files, data, hidden files and the submission, and nothing the agent wrote but that.
 */

const READ_ONLY_FILE = 0o444;
const READ_ONLY_DIR = 0o555;
/** Root-owned, world-writable and sticky: anyone adds files, nobody deletes another's. */
const SHARED_DIR = 0o1777;

export interface SandboxRoots {
  workspace: string;
  /** Where the repo's tools/ folder is copied; omitted when the runtime uses it in place. */
  tools?: string;
}

export async function sandboxLayout(task: TaskConfig, taskDir: string, roots: SandboxRoots): Promise<FsEntry[]> {
  const hidden = task.hidden_files.map((p) => checkedRel(p, 'hidden_files'));
  const visible = (files: HostFile[]) => files.filter((f) => !hidden.some((h) => isWithin(f.rel, h)));
  const ws = roots.workspace;
  const entries: FsEntry[] = [{ kind: 'dir', path: ws, owner: 'root', mode: SHARED_DIR }];
  const starter = visible(await collect(taskDir, task.starter_code, 'starter_code'));
  const atScale = await scaleStarterFiles(task, taskDir);
  const replaced = new Set(atScale.map((f) => f.rel));
  const starterFiles = [...starter.filter((f) => !replaced.has(f.rel)), ...atScale];
  entries.push(...place(ws, starterFiles, { owner: 'agent', dirMode: 0o755, fileMode: (f) => (f.executable ? 0o755 : 0o644) }));
  const trusted = visible(await collect(taskDir, [...task.evaluation_paths, ...task.evaluator_support_paths], 'evaluation_paths'));
  entries.push(...place(ws, trusted, { owner: 'root', dirMode: 0o755, fileMode: () => READ_ONLY_FILE }));
  entries.push(...(await dataEntries(taskDir, ws, hidden)));
  if (roots.tools) entries.push(...(await toolEntries(roots.tools)));
  return normalizeEntries(entries);
}

export async function evaluationLayout(task: TaskConfig, taskDir: string, workdir: string, submission: Buffer | undefined): Promise<FsEntry[]> {
  const entries: FsEntry[] = [{ kind: 'dir', path: workdir, owner: 'root', mode: SHARED_DIR }];
  const paths = [...task.evaluation_paths, ...task.evaluator_support_paths, ...task.hidden_files];
  const trusted = await collect(taskDir, paths, 'evaluation_paths');
  entries.push(...place(workdir, trusted, { owner: 'root', dirMode: 0o755, fileMode: () => READ_ONLY_FILE }));
  entries.push(...(await dataEntries(taskDir, workdir, [])));
  if (submission) {
    const target = path.posix.join(workdir, checkedRel(task.submission_path, 'submission_path'));
    entries.push(...dirsBetween(workdir, target).map((d) => ({ kind: 'dir' as const, path: d, owner: 'root' as const, mode: 0o755 })));
    entries.push({ kind: 'file', path: target, owner: 'root', mode: READ_ONLY_FILE, content: submission });
  }
  return normalizeEntries(entries);
}

/** The files the task's scale puts in the workspace instead of the small starter's (an RL config, say). */
async function scaleStarterFiles(task: TaskConfig, taskDir: string): Promise<HostFile[]> {
  const mapping = task.scale ? (task.scales[task.scale]?.starter_files ?? {}) : {};
  return Promise.all(
    Object.entries(mapping).map(async ([target, source]) => {
      const field = `scales.${task.scale}.starter_files`;
      const [file] = await collect(taskDir, [source], field);
      if (!file) throw new TaskLayoutError(`${field}: ${source} is not a file in ${taskDir}`);
      return { ...file, rel: checkedRel(target, field) };
    }),
  );
}

/** The task's data/ folder, when it has one, read-only at <root>/data (minus hidden files). */
async function dataEntries(taskDir: string, root: string, hidden: string[]): Promise<FsEntry[]> {
  const dataDir = path.join(taskDir, 'data');
  if (!(await isDirectory(dataDir))) return [];
  const files = (await walkHost(dataDir, 'data')).filter((f) => !hidden.some((h) => isWithin(f.rel, h)));
  return [
    { kind: 'dir', path: path.posix.join(root, 'data'), owner: 'root', mode: READ_ONLY_DIR },
    ...place(root, files, { owner: 'root', dirMode: READ_ONLY_DIR, fileMode: () => READ_ONLY_FILE }),
  ];
}

/** The repo's tools/ folder, root-owned; the runner's scripts stay executable. */
async function toolEntries(target: string): Promise<FsEntry[]> {
  const source = path.join(repoRoot, 'tools');
  if (!(await isDirectory(source))) return [];
  const files = await walkHost(source, '');
  const executable = (f: HostFile) => f.executable || /^runner\//.test(f.rel);
  return [
    { kind: 'dir', path: target, owner: 'root', mode: 0o755 },
    ...place(target, files, { owner: 'root', dirMode: 0o755, fileMode: (f) => (executable(f) ? 0o755 : 0o644) }),
  ];
}

interface Placement {
  owner: Owner;
  dirMode: number;
  fileMode: (f: HostFile) => number;
}

function place(root: string, files: HostFile[], how: Placement): FsEntry[] {
  return files.flatMap((f): FsEntry[] => {
    const target = path.posix.join(root, f.rel);
    return [
      ...dirsBetween(root, target).map((d): FsEntry => ({ kind: 'dir', path: d, owner: how.owner, mode: how.dirMode })),
      { kind: 'file', path: target, owner: how.owner, mode: how.fileMode(f), content: { hostPath: f.hostPath, size: f.size } },
    ];
  });
}

async function collect(taskDir: string, rels: string[], field: string): Promise<HostFile[]> {
  const found = await Promise.all(
    rels.map(async (raw) => {
      const rel = checkedRel(raw, field);
      try {
        return await walkHost(path.join(taskDir, rel), rel);
      } catch (err) {
        throw new TaskLayoutError(`${field}: ${raw} cannot be read in ${taskDir}: ${(err as Error).message}`);
      }
    }),
  );
  return found.flat();
}

/** A task-relative path in posix form; absolute paths and `..` would reach outside the task. */
function checkedRel(raw: string, field: string): string {
  const rel = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/^\.\/|\/$/g, '');
  if (path.posix.isAbsolute(rel) || rel === '..' || rel.startsWith('../') || rel === '.') {
    throw new TaskLayoutError(`${field}: ${raw} must be a path inside the task folder`);
  }
  return rel;
}

const isWithin = (rel: string, base: string) => rel === base || rel.startsWith(`${base}/`);

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** What a runtime needs to set up one episode's sandbox. */
export interface SandboxSpec {
  episodeId: string;
  task: TaskConfig;
  /** Absolute path of the task folder on the worker's machine. */
  taskDir: string;
  /** The task's prepared data; its public/ becomes the workspace's read-only data/. */
  data?: PreparedData;
  /** Told every few seconds while the sandbox waits for its host's GPUs to free up. */
  onWait?: (note: string) => void;
}

import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import type { SandboxHandle } from '../../lib/episode';
import type { TaskConfig } from '../../lib/task-config';
import type { FsEntry } from './entries';
import type { SandboxRuntime } from './runtime';

/**
 * The submission artefact copied out of the sandbox for the trusted evaluation: the bytes of the
 * task's submission file, or, for `submission_kind: workspace` (MLGym's checkpoint and model
 * submissions, whose evaluator reads checkpoints, configs and the agent's code beside them), the
 * agent's workspace without data/, which the evaluation gets from the task instead.
 */

export interface WorkspaceSubmission {
  kind: 'workspace';
  /** Workspace-relative folders and regular files (links and special files are left out). */
  dirs: string[];
  files: { rel: string; content: Buffer; executable: boolean }[];
}

export type Submission = Buffer | WorkspaceSubmission;

/** Undefined when there is nothing to score (the submission file or folder does not exist). */
export async function copySubmissionOut(runtime: SandboxRuntime, handle: SandboxHandle, task: TaskConfig): Promise<Submission | undefined> {
  if (task.submission_kind === 'file') return runtime.copyOut(handle, path.posix.join(handle.workspace, task.submission_path));
  const workspace = await readWorkspaceArchive(await archiveWorkspace(runtime, handle));
  return holds(workspace, task.submission_path) ? workspace : undefined;
}

/** The workspace's entries placed under `root` of the evaluation context, owned by the agent. */
export function workspaceEntries(workspace: WorkspaceSubmission, root: string): FsEntry[] {
  return [
    ...workspace.dirs.map((rel): FsEntry => ({ kind: 'dir', path: path.posix.join(root, rel), owner: 'agent', mode: 0o755 })),
    ...workspace.files.map((f): FsEntry => ({
      kind: 'file',
      path: path.posix.join(root, f.rel),
      owner: 'agent',
      mode: f.executable ? 0o755 : 0o644,
      content: f.content,
    })),
  ];
}

/**
 * A tar archive of the workspace, made by root inside the sandbox into a fresh root-only folder
 * (the agent can neither read it half-written nor point it elsewhere with a link).
 */
async function archiveWorkspace(runtime: SandboxRuntime, handle: SandboxHandle): Promise<Buffer> {
  const script = 'dir=$(mktemp -d) || exit 2; tar -C "$1" --exclude=./data -cf "$dir/workspace.tar" . ; status=$?; echo "$dir"; exit $status';
  const made = await runtime.exec(handle, ['bash', '-c', script, 'archive-workspace', handle.workspace], { user: 'root' });
  const dir = made.stdout.trim();
  try {
    // GNU tar exits 1 when a file changed while it was read (a process of the agent still writing).
    if (made.exitCode > 1 || !dir) throw new Error(`archiving the workspace for evaluation failed (exit ${made.exitCode}): ${made.stderr.trim()}`);
    const archive = await runtime.copyOut(handle, `${dir}/workspace.tar`);
    if (!archive) throw new Error(`archiving the workspace for evaluation wrote no ${dir}/workspace.tar`);
    return archive;
  } finally {
    if (dir) await runtime.exec(handle, ['rm', '-rf', dir], { user: 'root' });
  }
}

async function readWorkspaceArchive(archive: Buffer): Promise<WorkspaceSubmission> {
  const workspace: WorkspaceSubmission = { kind: 'workspace', dirs: [], files: [] };
  const entries = extract();
  entries.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      const rel = path.posix.normalize(header.name).replace(/\/+$/, '');
      const inside = rel !== '' && rel !== '.' && !rel.startsWith('../') && !path.posix.isAbsolute(rel);
      if (inside && header.type === 'directory') workspace.dirs.push(rel);
      if (inside && header.type === 'file') workspace.files.push({ rel, content: Buffer.concat(chunks), executable: ((header.mode ?? 0) & 0o111) !== 0 });
      next();
    });
  });
  await pipeline(Readable.from(archive), entries);
  return workspace;
}

function holds(workspace: WorkspaceSubmission, rel: string): boolean {
  const target = path.posix.normalize(rel).replace(/\/$/, '');
  if (target === '.') return true;
  return workspace.dirs.includes(target) || workspace.files.some((f) => f.rel === target || f.rel.startsWith(`${target}/`));
}

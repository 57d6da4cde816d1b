import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SandboxHandle } from '../../lib/episode';
import { fileEntry, normalizeEntries } from './entries';
import { NotAFileError, SandboxGoneError } from './errors';
import { removeHostTree, writeHostEntries } from './host-fs';
import { runProcess } from './host-process';
import { type SandboxSpec, sandboxLayout } from './layout';
import { repoRoot, safeName } from './paths';
import { evaluateInTempDir, type TrustedEvaluationInput, type TrustedEvaluationResult } from './evaluation-context';
import { type PrepareJob, type PrepareRun, prepareOnHost } from './prepare-runs';
import type { ExecOptions, ExecResult, FileToCopy, SandboxRuntime } from './runtime';

/**
 * Sandboxes as plain directories on the worker's machine, for machines without Docker. Commands
 * run as the worker's own user: there is no isolation at all, which warnOnce says loudly, and no
 * disk limit (resources.disk_mb applies to docker sandboxes only).
 */

let warned = false;
function warnOnce(): void {
  if (warned) return;
  warned = true;
  process.stderr.write(
    [
      '',
      '!!! WARNING: the local runtime does NOT isolate the agent.',
      '!!! Its commands run as your user on this machine: no container, no network block, no CPU,',
      '!!! memory, process or disk limits. The evaluator and the hidden files are reachable by a',
      '!!! determined agent, so scores are not tamper-proof. Use --runtime docker for real runs.',
      '',
    ].join('\n') + '\n',
  );
}

const READY = '.ready';

export class LocalRuntime implements SandboxRuntime {
  static readonly warning = 'WARNING: --runtime local does not isolate the agent: no container, no limits, evaluator reachable.';
  readonly kind = 'local';
  readonly toolsDir = path.join(repoRoot, 'tools');
  /** One owner for everything: the task's read-only paths are excluded from snapshots by name. */
  readonly harnessUid = undefined;

  constructor() {
    warnOnce();
  }

  static async checkAvailable(): Promise<void> {}

  create(spec: SandboxSpec): Promise<SandboxHandle> {
    return createLocalSandbox(spec);
  }

  evaluate(input: TrustedEvaluationInput): Promise<TrustedEvaluationResult> {
    return evaluateInTempDir(input);
  }

  prepareData(job: PrepareJob): Promise<PrepareRun> {
    return prepareOnHost(job);
  }

  writeFiles(handle: SandboxHandle, files: FileToCopy[]): Promise<void> {
    return this.copyIn(handle, files);
  }

  /** The sandbox is a folder of this machine: its paths are host paths. */
  localPath(_handle: SandboxHandle, sandboxPath: string): string {
    return sandboxPath;
  }

  /** `options.user` is ignored: every command runs as the worker's user. */
  async exec(handle: SandboxHandle, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    await this.requireSandbox(handle);
    const { exitCode, stdout, stderr } = await runProcess(argv, {
      cwd: options.cwd ?? handle.workspace,
      env: sandboxEnv(handle, options.env),
      stdin: options.stdin,
    });
    return { exitCode, stdout, stderr };
  }

  async copyIn(handle: SandboxHandle, files: FileToCopy[]): Promise<void> {
    await this.requireSandbox(handle);
    await writeHostEntries(normalizeEntries(files.map(fileEntry)));
  }

  async copyOut(handle: SandboxHandle, file: string): Promise<Buffer | undefined> {
    await this.requireSandbox(handle);
    try {
      return await fs.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EISDIR') throw new NotAFileError(`${file} is not a regular file (directory)`);
      throw err;
    }
  }

  /** Removing a container ends its processes; here the detached commands must be stopped first. */
  async destroy(handle: SandboxHandle): Promise<void> {
    await stopDetachedCommands(path.join(handle.home, '.mlgym', 'exec'));
    await removeHostTree(sandboxRoot(handle.episodeId));
  }

  async exists(handle: SandboxHandle): Promise<boolean> {
    return isFile(path.join(sandboxRoot(handle.episodeId), READY));
  }

  private async requireSandbox(handle: SandboxHandle): Promise<void> {
    if (!(await this.exists(handle))) throw new SandboxGoneError(handle.episodeId, `${sandboxRoot(handle.episodeId)} does not exist`);
  }
}

/**
 * Creates .mlgym/sandboxes/<episode>/{home,workspace}, or returns it when already set up; a
 * directory left by an interrupted setup is wiped and made again (the agent never ran in it).
 */
export async function createLocalSandbox(spec: SandboxSpec): Promise<SandboxHandle> {
  warnOnce();
  const root = sandboxRoot(spec.episodeId);
  const handle = localHandle(spec.episodeId);
  if (await isFile(path.join(root, READY))) return handle;
  await removeHostTree(root);
  await fs.mkdir(handle.home, { recursive: true });
  await writeHostEntries(await sandboxLayout(spec.task, spec.taskDir, { workspace: handle.workspace }));
  // Not a security boundary (see warnOnce): the prepared data is linked rather than copied.
  if (spec.data) await fs.symlink(spec.data.publicDir, path.join(handle.workspace, 'data'));
  await fs.writeFile(path.join(root, READY), `${spec.episodeId}\n`);
  return handle;
}

function localHandle(episodeId: string): SandboxHandle {
  const root = sandboxRoot(episodeId);
  return { runtime: 'local', episodeId, workspace: path.join(root, 'workspace'), home: path.join(root, 'home'), host: os.hostname() };
}

/** Every finished-setup local sandbox on this machine (the reaper's inventory). */
export async function listLocalSandboxes(): Promise<SandboxHandle[]> {
  const base = path.join(repoRoot, '.mlgym', 'sandboxes');
  const names = await fs.readdir(base).catch(() => [] as string[]);
  const handles: SandboxHandle[] = [];
  for (const name of names) {
    const episodeId = await fs.readFile(path.join(base, name, READY), 'utf8').catch(() => undefined);
    if (episodeId?.trim()) handles.push(localHandle(episodeId.trim()));
  }
  return handles;
}

function sandboxRoot(episodeId: string): string {
  return path.join(repoRoot, '.mlgym', 'sandboxes', safeName(episodeId));
}

/** A minimal environment: nothing of the worker's own (API keys included) leaks to the agent. */
function sandboxEnv(handle: SandboxHandle, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: handle.home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    MLGYM_WORKSPACE: handle.workspace,
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

/**
 * SIGKILLs every still-running detached command: its runner's process group (runner and
 * watchdog) and the command's own group. Only runners recognised by their command line
 * (`bash .../mlgym-exec <dir> ...`) are touched, so a recycled pid is never hit.
 */
async function stopDetachedCommands(execRoot: string): Promise<void> {
  const read = (file: string) =>
    fs.readFile(file, 'utf8').then(
      (text) => Number(text.trim()),
      () => undefined,
    );
  for (const execId of await fs.readdir(execRoot).catch(() => [])) {
    const dir = path.join(execRoot, execId);
    const pid = await read(path.join(dir, 'pid'));
    const argv = pid ? (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0') : [];
    if (!pid || !argv[1]?.endsWith('/mlgym-exec') || argv[2] !== dir) continue;
    for (const group of [pid, await read(path.join(dir, 'pgid'))]) {
      try {
        if (group) process.kill(-group, 'SIGKILL');
      } catch {
        // that group has already ended
      }
    }
  }
}

async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
}

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { type TaskConfig, TaskResources } from '../../lib/task-config';
import { containerOptions, LABELS, scaleEnv, withDisk } from './container-config';
import { makeDisk, releaseDisk, type SandboxDisk } from './disk';
import { demuxBuffer, dockerCall, dockerClient, statusCode } from './docker-client';
import { settleWithin } from '../async';
import { SandboxImageMissingError } from './errors';
import { createWithGpus, type GpuInventory, gpusOf, hostGpuInventory, withGpus } from './gpus';
import { GPU_LABEL } from '../../lib/gpus';
import { normalizeEntries, type FsEntry } from './entries';
import { removeHostTree, writeHostEntries } from './host-fs';
import { runProcess } from './host-process';
import { evaluationLayout } from './layout';
import { dockerPaths, safeName } from './paths';
import { type Submission, workspaceEntries } from './submission';
import { putEntries } from './tar';
import type { PreparedData } from './task-data';

/**
 * Scores a submission in a context the agent never touched: a fresh container (docker) or a
 * fresh temporary directory (local) holding the task's own evaluator, support files, data and
 * hidden files, plus the submission. It is removed afterwards whatever happens.
 */

export interface TrustedEvaluationInput {
  /** Labels the evaluation container, so the reaper removes it if a crash leaves it behind. */
  episodeId: string;
  task: TaskConfig;
  taskDir: string;
  /** The submission artefact copied out of the sandbox (copySubmissionOut); undefined runs the evaluator without one. */
  submission: Submission | undefined;
  timeoutSec: number;
  /** The task's prepared data: public/ as data/, hidden/ (answers) as hidden/. */
  data?: PreparedData;
  /** Passed to the evaluator as MLGYM_SPLIT: which split to score (default test). */
  split?: 'validation' | 'test';
}

export interface TrustedEvaluationResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Our evaluators run as root so they can keep hidden files (answers, seeds) from the submission's
 * code, which they run as an unprivileged user (no-new-privileges still allows dropping
 * privileges, never gaining them). MLGym's evaluators import or unpickle the agent's files in
 * their own process: they run as the unprivileged user, so that code never runs as root.
 */
function evaluatorUser(task: TaskConfig): 'root' | 'agent' {
  return task.integrity === 'mlgym-evaluator' ? 'agent' : 'root';
}

/** The evaluation's files: the task's trusted ones, plus the submission file or the agent's workspace. */
async function contextLayout(input: TrustedEvaluationInput, workdir: string): Promise<FsEntry[]> {
  const { submission } = input;
  if (!submission || Buffer.isBuffer(submission)) return evaluationLayout(input.task, input.taskDir, workdir, submission);
  // The workspace first: the task's own evaluator, support files and data then replace its copies.
  const trusted = await evaluationLayout(input.task, input.taskDir, workdir, undefined);
  return normalizeEntries([...workspaceEntries(submission, workdir), ...trusted]);
}

/**
 * The evaluation of a GPU task uses the GPUs its episode's sandbox holds (the agent is idle while
 * it runs); without a sandbox (a baseline, a sandbox already gone) it takes free ones like a sandbox.
 */
async function createWithEpisodeGpus(docker: Docker, episodeId: string, gpus: number, options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  const create = (ids: string[], inventory: Pick<GpuInventory, 'devices'>, holds: boolean) =>
    dockerCall(() => docker.createContainer(withGpus(options, ids, inventory, holds)));
  if (gpus === 0) return create([], { devices: false }, false);
  const [sandbox] = await dockerCall(() => docker.listContainers({ all: true, filters: { label: [`${LABELS.episode}=${episodeId}`, GPU_LABEL] } }));
  const held = gpusOf(sandbox?.Labels);
  if (held.length >= gpus) return create(held.slice(0, gpus), hostGpuInventory(), false);
  return (await createWithGpus(docker, gpus, (ids, inventory) => create(ids, inventory, true))).container;
}

/**
 * The evaluator, and the agent's code it may run, write to a disk of their own as large as the
 * sandbox's (activities/sandbox/disk.ts), removed with the container.
 */
export async function evaluateInContainer(input: TrustedEvaluationInput): Promise<TrustedEvaluationResult> {
  const name = `mlgym-eval-${safeName(input.episodeId)}-${randomBytes(4).toString('hex')}`;
  const limitMb = TaskResources.parse(input.task.resources).disk_mb;
  const disk = await makeDisk(name, { episodeId: input.episodeId, role: 'evaluation', limitMb });
  try {
    return await evaluateOnDisk(input, disk);
  } finally {
    // Left behind, the reaper removes it once it is old.
    await releaseDisk(name).catch(() => undefined);
  }
}

async function evaluateOnDisk(input: TrustedEvaluationInput, disk: SandboxDisk | undefined): Promise<TrustedEvaluationResult> {
  const { task } = input;
  const docker = dockerClient();
  let container: Docker.Container;
  const options = withDisk(
    {
      // Never networked, whatever the task: the evaluator has nothing to fetch and must leak nothing.
      ...containerOptions(task, false, input.data && { data: input.data.publicDir, hidden: input.data.hiddenDir }),
      User: evaluatorUser(task),
      Entrypoint: ['bash', '-c', task.evaluation_command],
      Env: [`MLGYM_WORKSPACE=${dockerPaths.workspace}`, `MLGYM_SPLIT=${input.split ?? 'test'}`, ...scaleEnv(task)],
      Cmd: [],
      Labels: { [LABELS.evaluates]: input.episodeId, [LABELS.task]: task.id, [LABELS.managed]: 'true', [LABELS.role]: 'evaluation' },
    },
    disk,
  );
  try {
    container = await createWithEpisodeGpus(docker, input.episodeId, task.resources.gpus, options);
  } catch (err) {
    if (statusCode(err) === 404) throw new SandboxImageMissingError(task.image);
    throw err;
  }
  try {
    const layout = await contextLayout(input, dockerPaths.workspace);
    await putEntries(container, layout);
    await container.start();
    const exited = container.wait().then(
      () => undefined,
      () => undefined, // removed under us: inspect below reports what is known
    );
    const timedOut = !(await settleWithin(exited, input.timeoutSec * 1000)).done;
    if (timedOut) {
      await container.kill().catch(() => undefined);
      await exited;
    }
    const state = (await container.inspect()).State;
    const { stdout, stderr } = demuxBuffer(await container.logs({ stdout: true, stderr: true, follow: false }));
    return { exitCode: state.ExitCode, stdout, stderr, timedOut };
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

export async function evaluateInTempDir(input: TrustedEvaluationInput): Promise<TrustedEvaluationResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlgym-eval-'));
  try {
    await writeHostEntries(await contextLayout(input, dir));
    if (input.data) {
      await fs.symlink(input.data.publicDir, path.join(dir, 'data'));
      await fs.symlink(input.data.hiddenDir, path.join(dir, 'hidden'));
    }
    return await runProcess(['bash', '-c', input.task.evaluation_command], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: dir,
        LANG: process.env.LANG ?? 'C.UTF-8',
        PYTHONUNBUFFERED: '1',
        MLGYM_SPLIT: input.split ?? 'test',
        ...(input.task.scale && { MLGYM_SCALE: input.task.scale }),
      },
      timeoutSec: input.timeoutSec,
    });
  } finally {
    await removeHostTree(dir);
  }
}

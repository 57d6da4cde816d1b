import * as os from 'node:os';
import type Docker from 'dockerode';
import type { SandboxHandle } from '../../lib/episode';
import { TaskResources } from '../../lib/task-config';
import { containerOptions, LABELS, withDisk } from './container-config';
import { attachDisk, diskLimitNote, makeDisk, releaseDisk } from './disk';
import { checkDockerReachable, dockerCall, dockerClient, isMissingContainer, onContainer, statusCode } from './docker-client';
import { dirsBetween, fileEntry, type FsEntry, normalizeEntries } from './entries';
import { SandboxGoneError, SandboxImageMissingError } from './errors';
import { createWithGpus, gpusOf, withGpus } from './gpus';
import { evaluateInContainer, type TrustedEvaluationInput, type TrustedEvaluationResult } from './evaluation-context';
import { type PrepareJob, type PrepareRun, prepareInContainer } from './prepare-runs';
import { type SandboxSpec, sandboxLayout } from './layout';
import { dockerPaths, safeName } from './paths';
import { runExec } from './docker-exec';
import type { ExecOptions, ExecResult, FileToCopy, SandboxRuntime } from './runtime';
import { putEntries, readSingleFile } from './tar';

/** One container per episode, driven through the Docker API (no docker CLI needed on the worker). */
export class DockerRuntime implements SandboxRuntime {
  static readonly warning = undefined;
  readonly kind = 'docker';
  readonly toolsDir = dockerPaths.tools;
  /** Root owns what the harness put in the workspace; the agent is uid 1000. */
  readonly harnessUid = 0;

  constructor(private readonly docker: Docker = dockerClient()) {}

  static checkAvailable(): Promise<void> {
    return checkDockerReachable();
  }

  create(spec: SandboxSpec): Promise<SandboxHandle> {
    return createDockerSandbox(spec, this.docker);
  }

  evaluate(input: TrustedEvaluationInput): Promise<TrustedEvaluationResult> {
    return evaluateInContainer(input);
  }

  prepareData(job: PrepareJob): Promise<PrepareRun> {
    return prepareInContainer(job);
  }

  /** Only the files: a folder entry in the archive would take over a root-owned shared folder. */
  writeFiles(handle: SandboxHandle, files: FileToCopy[]): Promise<void> {
    return this.writeEntries(handle, files.map(fileEntry));
  }

  async exec(handle: SandboxHandle, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const container = this.container(handle);
    return onContainer(handle.episodeId, async () => {
      try {
        return await runExec(this.docker, container, handle, argv, options);
      } catch (err) {
        // A daemon restart stops containers; the episode's files survive on its disk.
        if (statusCode(err) !== 409) throw err;
        if (!(await diskReady((await container.inspect()).Config.Labels))) throw new SandboxGoneError(handle.episodeId, 'its disk is gone');
        await startContainer(container);
        return runExec(this.docker, container, handle, argv, options);
      }
    });
  }

  /**
   * Parent directories inside the workspace of agent-owned files are made agent-owned, so a
   * restored file in a new subfolder stays editable; other missing parents are created by Docker
   * as root-owned 0755.
   */
  async copyIn(handle: SandboxHandle, files: FileToCopy[]): Promise<void> {
    const parents = files
      .filter((f) => f.owner === 'agent')
      .flatMap((f) => dirsBetween(handle.workspace, f.path))
      .map((d): FsEntry => ({ kind: 'dir', path: d, owner: 'agent', mode: 0o755 }));
    await this.writeEntries(handle, normalizeEntries([...parents, ...files.map(fileEntry)]));
  }

  async writeEntries(handle: SandboxHandle, entries: FsEntry[]): Promise<void> {
    const container = this.container(handle);
    await onContainer(handle.episodeId, () => putEntries(container, entries));
  }

  async copyOut(handle: SandboxHandle, path: string): Promise<Buffer | undefined> {
    const container = this.container(handle);
    return onContainer(handle.episodeId, async () => {
      let archive: NodeJS.ReadableStream;
      try {
        archive = await container.getArchive({ path });
      } catch (err) {
        if (statusCode(err) === 404 && !isMissingContainer(err)) return undefined;
        throw err;
      }
      return readSingleFile(archive, path);
    });
  }

  async destroy(handle: SandboxHandle): Promise<void> {
    try {
      await dockerCall(() => this.container(handle).remove({ force: true, v: true }));
    } catch (err) {
      // Already gone, or a concurrent destroy is removing it.
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
    await releaseDisk(sandboxName(handle.episodeId));
  }

  /** Said after every command while the sandbox's disk is full (see activities/sandbox/disk.ts). */
  diskLimitNote(handle: SandboxHandle): Promise<string | undefined> {
    return diskLimitNote(sandboxName(handle.episodeId));
  }

  async exists(handle: SandboxHandle): Promise<boolean> {
    try {
      await dockerCall(() => this.container(handle).inspect());
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  private container(handle: SandboxHandle): Docker.Container {
    if (!handle.containerId) throw new TypeError(`sandbox handle of ${handle.episodeId} has no container id`);
    return this.docker.getContainer(handle.containerId);
  }
}

/**
 * Creates the episode's container, or re-finds it by its episode label (starting it if stopped),
 * so a retried prepareSandbox never makes a second one. A container whose setup was interrupted
 * (no ready marker) is removed and made again: the agent never ran in it.
 */
export async function createDockerSandbox(spec: SandboxSpec, docker: Docker = dockerClient()): Promise<SandboxHandle> {
  const runtime = new DockerRuntime(docker);
  for (let attempt = 0; ; attempt++) {
    const found = await onContainer(spec.episodeId, () => docker.listContainers({ all: true, filters: { label: [`${LABELS.episode}=${spec.episodeId}`] } }));
    if (found[0]) {
      const handle = handleFor(spec, found[0].Id, gpusOf(found[0].Labels));
      const running = found[0].State === 'running';
      if ((running || (await diskReady(found[0].Labels))) && (await runtime.copyOut(handle, dockerPaths.readyMarker))) {
        if (!running) await startContainer(docker.getContainer(found[0].Id));
        return handle;
      }
      await runtime.destroy(handle);
    }
    try {
      return await createFresh(spec, docker, runtime);
    } catch (err) {
      // 409: a concurrent attempt created the same-named container first; adopt it.
      if (statusCode(err) !== 409 || attempt >= 3) throw err;
    }
  }
}

async function createFresh(spec: SandboxSpec, docker: Docker, runtime: DockerRuntime): Promise<SandboxHandle> {
  const { task } = spec;
  const name = sandboxName(spec.episodeId);
  // A disk without a container is left from an interrupted setup (or its container was removed):
  // it holds the ready marker, so it must not pass into the new sandbox.
  await releaseDisk(name);
  // Parsed: an episode started before disks existed carries a task without disk_mb.
  const disk = await makeDisk(name, { episodeId: spec.episodeId, role: 'sandbox', limitMb: TaskResources.parse(task.resources).disk_mb });
  const base = containerOptions(task, task.network, spec.data && { data: spec.data.publicDir });
  let created: { container: Docker.Container; gpus: string[] };
  try {
    created = await createWithGpus(
      docker,
      task.resources.gpus,
      (ids, inventory) =>
        onContainer(spec.episodeId, () =>
          docker.createContainer(
            withGpus(
              withDisk(
                {
                  ...base,
                  // Nothing reads a sandbox's log (PID 1 is `sleep`): nothing the agent prints to it is kept.
                  HostConfig: { ...base.HostConfig, LogConfig: { Type: 'none', Config: {} } },
                  name,
                  // Keeps the container alive between commands; every command is a `docker exec`.
                  Entrypoint: ['sleep', 'infinity'],
                  Cmd: [],
                  Labels: { [LABELS.episode]: spec.episodeId, [LABELS.task]: task.id, [LABELS.managed]: 'true', [LABELS.role]: 'sandbox' },
                },
                disk,
              ),
              ids,
              inventory,
            ),
          ),
        ),
      spec.onWait,
    );
  } catch (err) {
    // 409: a concurrent attempt made the container, with this disk.
    if (statusCode(err) !== 409) await releaseDisk(name);
    if (statusCode(err) === 404) throw new SandboxImageMissingError(task.image);
    throw err;
  }
  const { container } = created;
  const handle = handleFor(spec, container.id, created.gpus);
  const layout = await sandboxLayout(task, spec.taskDir, { workspace: dockerPaths.workspace, tools: dockerPaths.tools });
  const marker: FsEntry = { kind: 'file', path: dockerPaths.readyMarker, owner: 'root', mode: 0o444, content: Buffer.from(`${spec.episodeId}\n`) };
  // The marker is the archive's last entry: a truncated upload leaves the sandbox unmarked.
  await runtime.writeEntries(handle, [...layout, marker]);
  await startContainer(container);
  return handle;
}

function handleFor(spec: SandboxSpec, containerId: string, gpus: string[]): SandboxHandle {
  return {
    runtime: 'docker',
    episodeId: spec.episodeId,
    containerId,
    workspace: dockerPaths.workspace,
    home: dockerPaths.home,
    host: os.hostname(),
    ...(gpus.length && { gpus }),
  };
}

/** The name of an episode's container and of its disk. */
const sandboxName = (episodeId: string) => `mlgym-${safeName(episodeId)}`;

/**
 * Mounts a stopped sandbox's disk again if the host lost it (a reboot), so its files can be read and
 * it can start; false when the disk is gone, and the sandbox's files with it.
 */
async function diskReady(labels: Record<string, string> | undefined): Promise<boolean> {
  const disk = labels?.[LABELS.disk];
  return disk === undefined || attachDisk(disk);
}

async function startContainer(container: Docker.Container): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    if (statusCode(err) !== 304) throw err; // already running
  }
}

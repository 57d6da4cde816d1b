import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { GPU_LABEL, type GpuClaim, heldGpus, losesGpuRace, parseGpuList, parseNvidiaSmiIndexes, pickGpus } from '../../lib/gpus';
import { GpuUnavailableError } from './errors';

/** What this host has: the ids to hand out, where they came from, and whether they are real devices. */
export interface GpuInventory {
  ids: string[];
  source: 'MLGYM_GPUS' | 'nvidia-smi' | 'none';
  /** Real GPUs (nvidia-smi lists them): containers get a device request for their ids. */
  devices: boolean;
}

const NO_GPUS: GpuInventory = { ids: [], source: 'none', devices: false };

let probed: string[] | undefined;

/** Real GPUs of this machine by nvidia-smi index, probed once per process; [] without nvidia-smi. */
function nvidiaSmiIndexes(): string[] {
  if (!probed) {
    const probe = spawnSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 });
    probed = probe.status === 0 ? parseNvidiaSmiIndexes(probe.stdout) : [];
  }
  return probed;
}

/**
 * `MLGYM_GPUS=0,1,...` declares the inventory (on a machine without GPUs the containers then carry
 * the assignment in a label and NVIDIA_VISIBLE_DEVICES only); otherwise nvidia-smi's list.
 */
export function hostGpuInventory(): GpuInventory {
  const devices = nvidiaSmiIndexes();
  const declared = process.env.MLGYM_GPUS;
  if (declared !== undefined && declared.trim() !== '') return { ids: parseGpuList(declared, 'MLGYM_GPUS'), source: 'MLGYM_GPUS', devices: devices.length > 0 };
  return { ids: devices, source: devices.length ? 'nvidia-smi' : 'none', devices: devices.length > 0 };
}

/**
 * The container given exactly these GPUs: NVIDIA_VISIBLE_DEVICES, a device request by id where the
 * devices are real (a count would give every container the first N devices, whatever is in use),
 * and, when it holds them (`holds`), the label the assignment is read back from.
 */
export function withGpus(
  options: Docker.ContainerCreateOptions,
  ids: string[],
  inventory: Pick<GpuInventory, 'devices'>,
  holds = true,
): Docker.ContainerCreateOptions {
  if (ids.length === 0) return options;
  return {
    ...options,
    Env: [...(options.Env ?? []), `NVIDIA_VISIBLE_DEVICES=${ids.join(',')}`],
    Labels: { ...options.Labels, ...(holds && { [GPU_LABEL]: ids.join(',') }) },
    HostConfig: { ...options.HostConfig, ...(inventory.devices && { DeviceRequests: [{ Driver: '', DeviceIDs: ids, Capabilities: [['gpu']] }] }) },
  };
}

/** The GPU ids a container holds, from its label. */
export function gpusOf(labels: Record<string, string> | undefined): string[] {
  return [...heldGpus([labels?.[GPU_LABEL]])];
}

// One assignment at a time in this process; other processes on the host are caught by the race check.
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

async function claims(docker: Docker): Promise<GpuClaim[]> {
  const holders = await docker.listContainers({ all: true, filters: { label: [GPU_LABEL] } });
  return Promise.all(holders.map(async (c) => ({ containerId: c.Id, created: (await docker.getContainer(c.Id).inspect()).Created, gpus: gpusOf(c.Labels) })));
}

/**
 * Creates a container holding `count` GPUs of this host that no other container holds, waiting
 * while all are taken (`onWait` is told every few seconds). A task that needs more GPUs than the
 * host has fails at once. `create` gets the ids and must make the container with withGpus().
 */
export async function createWithGpus(
  docker: Docker,
  count: number,
  create: (ids: string[], inventory: GpuInventory) => Promise<Docker.Container>,
  onWait: (note: string) => void = () => undefined,
): Promise<{ container: Docker.Container; gpus: string[] }> {
  // A sandbox without GPUs neither probes nor reads the inventory: a bad MLGYM_GPUS fails GPU tasks only.
  if (count === 0) return { container: await create([], NO_GPUS), gpus: [] };
  const inventory = hostGpuInventory();
  if (count > inventory.ids.length) throw new GpuUnavailableError(count, inventory.ids.length, inventory.source);
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15_000)) {
    const got = await serially(async (): Promise<{ busy: number } | { container: Docker.Container; gpus: string[] }> => {
      const held = heldGpus((await docker.listContainers({ all: true, filters: { label: [GPU_LABEL] } })).map((c) => c.Labels?.[GPU_LABEL]));
      const ids = pickGpus(inventory.ids, held, count);
      if (!ids) return { busy: held.size };
      const container = await create(ids, inventory);
      if (losesGpuRace(container.id, await claims(docker))) {
        await container.remove({ force: true });
        return { busy: held.size + count };
      }
      return { container, gpus: ids };
    });
    if ('container' in got) return got;
    onWait(`${count} GPU(s): ${got.busy} of this host's ${inventory.ids.length} are held by other sandboxes`);
    await sleep(wait);
  }
}

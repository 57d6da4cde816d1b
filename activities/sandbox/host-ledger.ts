import * as os from 'node:os';
import type Docker from 'dockerode';
import type { TaskResources } from '../../lib/task-config';
import { LABELS } from './container-config';
import { gpusOf } from './gpus';

/** What one sandbox takes of its host. */
export interface Tenancy {
  cpus: number;
  memoryMb: number;
  gpus: number;
}

export interface HostUsage extends Tenancy {
  sandboxes: number;
}

export const tenancyOf = (resources: TaskResources, gpus: number): Tenancy => ({ cpus: resources.cpus, memoryMb: resources.memory_mb, gpus });

/**
 * The sandboxes this host agent holds, by episode: what its provisioning queues' slot supplier
 * weighs against the host's capacity before taking another. Docker sandboxes are re-read from the
 * engine when the agent starts, so a restarted agent counts the sandboxes it already holds.
 */
class HostLedger {
  private readonly held = new Map<string, Tenancy>();
  private readonly listeners = new Set<() => void>();

  hold(episodeId: string, tenancy: Tenancy): void {
    this.held.set(episodeId, tenancy);
  }

  release(episodeId: string): void {
    if (this.held.delete(episodeId)) this.listeners.forEach((listener) => listener());
  }

  usage(): HostUsage {
    const usage: HostUsage = { sandboxes: 0, cpus: 0, memoryMb: 0, gpus: 0 };
    for (const t of this.held.values()) {
      usage.sandboxes += 1;
      usage.cpus += t.cpus;
      usage.memoryMb += t.memoryMb;
      usage.gpus += t.gpus;
    }
    return usage;
  }

  /** Called whenever a sandbox is released; returns the unsubscribe. */
  onRelease(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async seedFromDocker(docker: Docker): Promise<number> {
    const sandboxes = await docker.listContainers({ all: true, filters: { label: [`${LABELS.role}=sandbox`] } });
    for (const c of sandboxes) {
      const episodeId = c.Labels?.[LABELS.episode];
      if (!episodeId) continue;
      const { HostConfig } = await docker.getContainer(c.Id).inspect();
      this.hold(episodeId, {
        cpus: (HostConfig.NanoCpus ?? 0) / 1e9,
        memoryMb: Math.round((HostConfig.Memory ?? 0) / 2 ** 20),
        gpus: gpusOf(c.Labels).length,
      });
    }
    return sandboxes.length;
  }
}

export const hostLedger = new HostLedger();

/** The id this process's sandboxes are recorded under: `mlgym worker --host` (MLGYM_HOST), else the machine's name. */
export const hostId = (): string => process.env.MLGYM_HOST || os.hostname();

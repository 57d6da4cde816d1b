import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';
import type { HostUsage } from '../activities/sandbox/host-ledger';

/** What a host agent offers: sandboxes at once, CPUs, memory and GPUs. */
export interface HostCapacity {
  slots: number;
  cpus: number;
  memoryMb: number;
  gpus: number;
}

interface Permit extends SlotPermit {
  id: number;
  gpu: boolean;
}

const RECHECK_MS = 5000;

/**
 * Lets a host agent poll its provisioning queues only while it has room: a poll holds a permit, and
 * a permit is issued only when the sandboxes held (the ledger) plus the permits out leave a slot,
 * CPU and memory free, and, for the GPU queue, a GPU. A host without room does not poll, so the
 * task waits in the shared queue for a host that has some: that is the fleet's balancing. A task's
 * own size is known only once taken; a host with any room left may take one that oversubscribes
 * it by that task (Docker still enforces each sandbox's limits).
 */
export class ProvisioningGate {
  private readonly out = new Map<number, Permit>();
  private nextId = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly capacity: HostCapacity,
    private readonly usage: () => HostUsage,
    onRelease: (listener: () => void) => void,
  ) {
    onRelease(() => this.wakeAll());
  }

  hasRoom(gpu: boolean): boolean {
    const used = this.usage();
    const permits = [...this.out.values()];
    const gpuPermits = permits.filter((p) => p.gpu).length;
    return (
      used.sandboxes + permits.length < this.capacity.slots &&
      used.cpus < this.capacity.cpus &&
      used.memoryMb < this.capacity.memoryMb &&
      (!gpu || used.gpus + gpuPermits < this.capacity.gpus)
    );
  }

  /** The slot supplier of one provisioning queue's worker (`gpu`: the GPU tasks' queue). */
  supplier(gpu: boolean): CustomSlotSupplier<ActivitySlotInfo> {
    return {
      type: 'custom',
      reserveSlot: async (_ctx, abortSignal) => {
        while (!this.hasRoom(gpu)) {
          await this.waitForChange(abortSignal);
          if (abortSignal.aborted) throw abortSignal.reason;
        }
        return this.issue(gpu);
      },
      tryReserveSlot: () => (this.hasRoom(gpu) ? this.issue(gpu) : null),
      markSlotUsed: () => undefined,
      releaseSlot: ({ permit }) => {
        this.out.delete((permit as Permit).id);
        this.wakeAll();
      },
    };
  }

  private issue(gpu: boolean): Permit {
    const permit = { id: ++this.nextId, gpu };
    this.out.set(permit.id, permit);
    return permit;
  }

  /** Until a sandbox or permit is released, the supplier is aborted, or a few seconds pass (a sandbox removed behind our back). */
  private waitForChange(abortSignal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        clearTimeout(timer);
        abortSignal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, RECHECK_MS);
      abortSignal.addEventListener('abort', done);
      this.waiters.add(done);
    });
  }

  private wakeAll(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    waiting.forEach((wake) => wake());
  }
}

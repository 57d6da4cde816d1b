import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit, SlotReserveContext } from '@temporalio/worker';
import type { HostUsage } from '../../activities/sandbox/host-ledger';
import { isHostSilent } from '../../lib/failures';
import { hostLoss, hostLossObservation } from '../../lib/host-loss';
import { HOST_ID, hostQueue, provisioningQueue } from '../../lib/task-queues';
import { ProvisioningGate } from '../../workers/provisioning-gate';

test('queues: GPU tasks are provisioned from their own queue; each host has its own', () => {
  assert.equal(provisioningQueue('mlgym', 0), 'mlgym-sandboxes');
  assert.equal(provisioningQueue('mlgym', 2), 'mlgym-sandboxes-gpu');
  assert.equal(hostQueue('mlgym', 'gpu-01'), 'mlgym-host-gpu-01');
  assert.ok(HOST_ID.test('gpu-01.lab_2'));
  for (const bad of ['', '-a', 'a/b', 'a b', 'x'.repeat(64)]) assert.ok(!HOST_ID.test(bad), bad);
});

test('a host loss lists the steps whose workspace changes went with the host, and the agent is told', () => {
  const loss = hostLoss('b', 5, 2, 'a');
  assert.deepEqual(loss, { host: 'b', step: 5, restoredFromStep: 2, lostSteps: [3, 4, 5], newHost: 'a' });
  assert.match(hostLossObservation(loss), /\(b\) was lost.*continues on a in the workspace as it was after step 2: changes made by steps 3 to 5 are gone/s);
  const early = hostLoss('b', 1, undefined, 'a');
  assert.deepEqual(early.lostSteps, [1]);
  assert.equal('restoredFromStep' in early, false);
  assert.match(hostLossObservation(early), /a fresh workspace with the starter files.*changes made by step 1 are gone/s);
});

test('only a schedule-to-start timeout says a host is silent', () => {
  const failed = (cause: Error) => new ActivityFailure('activity failed', 'execCommand', '7', RetryState.TIMEOUT, undefined, cause);
  assert.ok(isHostSilent(failed(new TimeoutFailure(undefined, undefined, TimeoutType.SCHEDULE_TO_START))));
  assert.ok(!isHostSilent(failed(new TimeoutFailure(undefined, undefined, TimeoutType.HEARTBEAT))));
  assert.ok(!isHostSilent(failed(new TimeoutFailure(undefined, undefined, TimeoutType.START_TO_CLOSE))));
  assert.ok(!isHostSilent(failed(ApplicationFailure.create({ message: 'boom' }))));
  assert.ok(!isHostSilent(new TimeoutFailure(undefined, undefined, TimeoutType.SCHEDULE_TO_START)));
});

const ctx = { slotType: 'activity', taskQueue: 'q', workerIdentity: 'w', workerBuildId: '', isSticky: false } as SlotReserveContext;

/** A gate over a ledger the test sets by hand. */
function gate(capacity = { slots: 3, cpus: 8, memoryMb: 8000, gpus: 1 }) {
  const usage: HostUsage = { sandboxes: 0, cpus: 0, memoryMb: 0, gpus: 0 };
  let released: () => void = () => undefined;
  const g = new ProvisioningGate(
    capacity,
    () => usage,
    (listener) => (released = listener),
  );
  return { g, usage, release: () => released() };
}

test('the provisioning gate issues permits only while the host has a slot, CPU, memory and (GPU queue) a GPU', () => {
  const { g, usage } = gate();
  const plain: CustomSlotSupplier<ActivitySlotInfo> = g.supplier(false);
  const gpu = g.supplier(true);
  const first = gpu.tryReserveSlot(ctx);
  assert.ok(first, 'one GPU free');
  assert.equal(gpu.tryReserveSlot(ctx), null, 'the only GPU is promised to the first poll');
  const second = plain.tryReserveSlot(ctx);
  assert.ok(second);
  assert.ok(plain.tryReserveSlot(ctx), 'third slot');
  assert.equal(plain.tryReserveSlot(ctx), null, 'all three slots are out');
  // The GPU poll took its task and made its sandbox: the permit goes back, the ledger holds it.
  Object.assign(usage, { sandboxes: 1, cpus: 1, memoryMb: 1000, gpus: 1 });
  gpu.releaseSlot({ permit: first });
  assert.equal(gpu.tryReserveSlot(ctx), null, 'the GPU is held by the sandbox now');
  assert.equal(plain.tryReserveSlot(ctx), null, 'and the slot too');
  plain.releaseSlot({ permit: second as SlotPermit });
  assert.ok(plain.tryReserveSlot(ctx), 'a poll that timed out gave its slot back');

  const full = gate({ slots: 10, cpus: 2, memoryMb: 4000, gpus: 0 });
  Object.assign(full.usage, { sandboxes: 2, cpus: 2, memoryMb: 1000 });
  assert.equal(full.g.supplier(false).tryReserveSlot(ctx), null, 'no CPU left');
  Object.assign(full.usage, { cpus: 1, memoryMb: 4000 });
  assert.equal(full.g.supplier(false).tryReserveSlot(ctx), null, 'no memory left');
  Object.assign(full.usage, { memoryMb: 3000 });
  assert.equal(full.g.supplier(true).tryReserveSlot(ctx), null, 'a host without GPUs never takes a GPU task');
});

test('a waiting reservation is granted when a sandbox is released, and gives up when aborted', async () => {
  const { g, usage, release } = gate({ slots: 1, cpus: 8, memoryMb: 8000, gpus: 0 });
  Object.assign(usage, { sandboxes: 1, cpus: 1, memoryMb: 1000 });
  const supplier = g.supplier(false);
  let granted = false;
  const waiting = supplier.reserveSlot(ctx, new AbortController().signal).then((permit) => {
    granted = true;
    return permit;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(granted, false, 'no room: it waits');
  Object.assign(usage, { sandboxes: 0, cpus: 0, memoryMb: 0 });
  release();
  assert.ok(await waiting);

  const aborter = new AbortController();
  const reason = new Error('poller gone');
  const aborted = supplier.reserveSlot(ctx, aborter.signal);
  aborter.abort(reason);
  await assert.rejects(aborted, (err) => err === reason);
});

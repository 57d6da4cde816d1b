import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withGpus } from '../../activities/sandbox/gpus';
import { GPU_LABEL, GpuInventoryError, heldGpus, losesGpuRace, parseGpuList, parseNvidiaSmiIndexes, pickGpus } from '../../lib/gpus';

test('a declared inventory is a comma-separated list of ids; bad or repeated ids are refused by name', () => {
  assert.deepEqual(parseGpuList('0,1, 2 ,', 'MLGYM_GPUS'), ['0', '1', '2']);
  assert.deepEqual(parseGpuList('GPU-8f1c2a,GPU-77', 'MLGYM_GPUS'), ['GPU-8f1c2a', 'GPU-77']);
  assert.throws(
    () => parseGpuList('0,gpu 1', 'MLGYM_GPUS'),
    (err: Error) => err instanceof GpuInventoryError && /MLGYM_GPUS: "gpu 1" is not a GPU id/.test(err.message),
  );
  assert.throws(() => parseGpuList('0,1,0', 'MLGYM_GPUS'), /MLGYM_GPUS: GPU 0 is listed twice/);
});

test("nvidia-smi's index list is read line by line", () => {
  assert.deepEqual(parseNvidiaSmiIndexes('0\n1\n 2 \n\n'), ['0', '1', '2']);
  assert.deepEqual(parseNvidiaSmiIndexes('NVIDIA-SMI has failed\n'), []);
});

test('free ids are handed out in inventory order; none when too few are free', () => {
  const held = heldGpus(['0', undefined, '2,3', '']);
  assert.deepEqual([...held].sort(), ['0', '2', '3']);
  assert.deepEqual(pickGpus(['0', '1', '2', '3', '4'], held, 2), ['1', '4']);
  assert.equal(pickGpus(['0', '1', '2', '3'], held, 2), undefined);
  assert.deepEqual(pickGpus(['0'], new Set(), 0), []);
});

test('of two containers claiming a GPU, the earlier created keeps it, to the nanosecond, and both agree', () => {
  const a = { containerId: 'bbb', created: '2026-12-06T12:00:00.000000100Z', gpus: ['0'] };
  const b = { containerId: 'aaa', created: '2026-12-06T12:00:00.000000200Z', gpus: ['0', '1'] };
  const other = { containerId: 'ccc', created: '2026-12-06T11:00:00Z', gpus: ['5'] };
  assert.equal(losesGpuRace('bbb', [a, b, other]), false);
  assert.equal(losesGpuRace('aaa', [a, b, other]), true);
  // Same instant: the smaller container id wins.
  const sameTime = { ...a, created: b.created };
  assert.equal(losesGpuRace('aaa', [sameTime, b]), false);
  assert.equal(losesGpuRace('bbb', [sameTime, b]), true);
  // No overlap, no race; a container missing from the list has nothing to give up.
  assert.equal(losesGpuRace('ccc', [a, b, other]), false);
  assert.equal(losesGpuRace('zzz', [a, b]), false);
});

test('a container gets its GPUs by id: a device request where devices are real, the label and NVIDIA_VISIBLE_DEVICES always', () => {
  const base = { Image: 'i', Env: ['A=1'], Labels: { x: 'y' }, HostConfig: { Memory: 1 } };
  const real = withGpus(base, ['1', '3'], { devices: true });
  assert.deepEqual(real.HostConfig?.DeviceRequests, [{ Driver: '', DeviceIDs: ['1', '3'], Capabilities: [['gpu']] }]);
  assert.equal(real.HostConfig?.Memory, 1);
  assert.deepEqual(real.Env, ['A=1', 'NVIDIA_VISIBLE_DEVICES=1,3']);
  assert.deepEqual(real.Labels, { x: 'y', [GPU_LABEL]: '1,3' });
  const declared = withGpus(base, ['0'], { devices: false });
  assert.equal(declared.HostConfig?.DeviceRequests, undefined);
  assert.deepEqual(declared.Labels, { x: 'y', [GPU_LABEL]: '0' });
  // Sharing another container's GPUs (an evaluation using its sandbox's): no claim of its own.
  assert.deepEqual(withGpus(base, ['0'], { devices: false }, false).Labels, { x: 'y' });
  assert.equal(withGpus(base, [], { devices: true }), base);
});

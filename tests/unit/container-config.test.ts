import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerOptions, withDisk } from '../../activities/sandbox/container-config';
import { TaskConfig } from '../../lib/task-config';

const task = (resources: object, network = false) =>
  TaskConfig.parse({ id: 't', name: 't', description: 'd', metric: { name: 'm', direction: 'max' }, submission_path: 'a', resources, network });

test('limits, user, network and GPUs come from the task', () => {
  const options = containerOptions(task({ cpus: 2, memory_mb: 512, pids: 64, gpus: 0 }), false);
  assert.equal(options.User, 'agent');
  assert.equal(options.HostConfig?.NetworkMode, 'none');
  assert.equal(options.HostConfig?.NanoCpus, 2e9);
  assert.equal(options.HostConfig?.Memory, 512 * 1024 * 1024);
  assert.equal(options.HostConfig?.MemorySwap, 512 * 1024 * 1024, 'no swap beyond the memory limit');
  assert.equal(options.HostConfig?.PidsLimit, 64);
  assert.equal(options.HostConfig?.DeviceRequests, undefined);
  assert.equal(containerOptions(task({}, true), true).HostConfig?.NetworkMode, 'bridge');
});

test('GPUs are never requested by count (every container would get the first N devices)', () => {
  assert.equal(containerOptions(task({ gpus: 2 }), false).HostConfig?.DeviceRequests, undefined);
});

test("the engine's log of a container is capped: anything inside may write to PID 1's output", () => {
  assert.deepEqual(containerOptions(task({}), false).HostConfig?.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } });
});

test('with a disk, the root filesystem is read-only and every writable path is a folder of the disk', () => {
  const base = { ...containerOptions(task({}), false), Labels: { 'mlgym.episode': 'e' } };
  assert.equal(withDisk(base, undefined), base, 'disks off: unchanged');
  const sandbox = withDisk(base, { name: 'mlgym-e', dir: '/disks/mlgym-e', record: { episodeId: 'e', role: 'sandbox', limitMb: 64 } });
  assert.equal(sandbox.HostConfig?.ReadonlyRootfs, true);
  assert.deepEqual(sandbox.Labels, { 'mlgym.episode': 'e', 'mlgym.disk': 'mlgym-e' });
  assert.deepEqual(
    sandbox.HostConfig?.Mounts?.map((m) => [m.Type, m.Source, m.Target]),
    [
      ['bind', '/disks/mlgym-e/data/home', '/home/agent'],
      ['bind', '/disks/mlgym-e/state/mlgym', '/home/agent/.mlgym'],
      ['bind', '/disks/mlgym-e/data/tmp', '/tmp'],
      ['bind', '/disks/mlgym-e/data/var-tmp', '/var/tmp'],
      ['bind', '/disks/mlgym-e/data/opt', '/opt/mlgym'],
      ['bind', '/disks/mlgym-e/data/root', '/root'],
    ],
  );
  assert.deepEqual(sandbox.HostConfig?.Binds, base.HostConfig?.Binds, 'the read-only data mounts stay');
  const evaluation = withDisk(base, { name: 'mlgym-eval-e', dir: '/disks/mlgym-eval-e', record: { episodeId: 'e', role: 'evaluation', limitMb: 64 } });
  assert.ok(!evaluation.HostConfig?.Mounts?.some((m) => m.Target === '/home/agent/.mlgym'), 'no runner in an evaluation: no state volume');
});

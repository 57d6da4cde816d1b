import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerOptions } from '../../activities/sandbox/container-config';
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

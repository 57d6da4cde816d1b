import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { createDockerSandbox, DockerRuntime } from '../../activities/sandbox/docker';
import { evaluateInContainer } from '../../activities/sandbox/evaluation-context';
import { FailureType } from '../../lib/failures';
import { GPU_LABEL } from '../../lib/gpus';
import type { SandboxHandle } from '../../lib/episode';
import type { TaskConfig } from '../../lib/task-config';
import { type DockerAvailability, ensureDocker, removeLabelled } from '../support/docker';
import { writeSandboxTask } from '../support/sandbox-task';

// Without real GPUs: a declared inventory, whose assignment the containers carry as a label and
// NVIDIA_VISIBLE_DEVICES (the device request by id is unit-tested in tests/unit/gpus.test.ts).
describe('GPU assignment on one Docker host (declared inventory of 2)', () => {
  const prefix = `test-gpus-${process.pid}-${Date.now()}`;
  const runtime = new DockerRuntime();
  const docker = new Docker();
  const savedInventory = process.env.MLGYM_GPUS;
  let availability: DockerAvailability;
  let task: TaskConfig;
  let taskDir: string;

  before(() => {
    availability = ensureDocker();
    if (!availability.ok) return;
    const written = writeSandboxTask();
    task = { ...written.task, resources: { ...written.task.resources, gpus: 1 } };
    taskDir = written.taskDir;
    process.env.MLGYM_GPUS = '0,1';
  });

  after(async () => {
    if (savedInventory === undefined) delete process.env.MLGYM_GPUS;
    else process.env.MLGYM_GPUS = savedInventory;
    if (!availability?.ok) return;
    await removeLabelled(`mlgym.test-gpus=${prefix}`);
    for (const n of [1, 2, 3, 4]) await removeLabelled(`mlgym.episode=${prefix}-${n}`);
    rmSync(taskDir, { recursive: true, force: true });
  });

  const create = (n: number, onWait?: (note: string) => void, needs = task) =>
    createDockerSandbox({ episodeId: `${prefix}-${n}`, task: needs, taskDir, onWait });
  const visible = async (handle: SandboxHandle) => (await runtime.exec(handle, ['printenv', 'NVIDIA_VISIBLE_DEVICES'])).stdout.trim();

  test('concurrent sandboxes get distinct GPUs; one beyond capacity waits for a GPU to free up', async (t) => {
    if (!availability.ok) return t.skip(availability.reason);
    const [a, b] = await Promise.all([create(1), create(2)]);
    assert.deepEqual([a.gpus, b.gpus].map((g) => g?.join(',')).sort(), ['0', '1']);
    assert.equal(await visible(a), a.gpus?.join(','));
    const label = (await docker.getContainer(a.containerId!).inspect()).Config.Labels[GPU_LABEL];
    assert.equal(label, a.gpus?.join(','), 'the container carries its assignment');
    // Found again (a retried activity): the same container and GPUs.
    assert.deepEqual((await create(1)).gpus, a.gpus);
    // The episode's evaluation runs on the GPUs its sandbox holds (no GPU is free for another).
    const evaluation = await evaluateInContainer({
      episodeId: `${prefix}-1`,
      task: { ...task, evaluation_command: 'printenv NVIDIA_VISIBLE_DEVICES' },
      taskDir,
      submission: undefined,
      timeoutSec: 60,
    });
    assert.equal(evaluation.stdout.trim(), a.gpus?.join(','));

    const notes: string[] = [];
    const third = create(3, (note) => notes.push(note));
    let settled = false;
    void third.finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(settled, false, 'no GPU free: the third sandbox waits');
    assert.match(notes[0] ?? '', /1 GPU\(s\): 2 of this host's 2 are held by other sandboxes/);
    await runtime.destroy(a);
    const c = await third;
    assert.deepEqual(c.gpus, a.gpus, 'the third sandbox gets the GPU the first one freed');
    assert.equal(await visible(c), a.gpus?.join(','));
    await Promise.all([runtime.destroy(b), runtime.destroy(c)]);
  });

  test("any container's label holds its GPUs, whoever made it (a restarted worker sees the same tenancy)", async (t) => {
    if (!availability.ok) return t.skip(availability.reason);
    const foreign = await docker.createContainer({ Image: task.image, Cmd: ['true'], Labels: { [GPU_LABEL]: '0', 'mlgym.test-gpus': prefix } });
    try {
      const d = await create(4);
      assert.deepEqual(d.gpus, ['1']);
      await runtime.destroy(d);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  test('a task needing more GPUs than the host has fails at once, non-retryable, saying so; a bad inventory is named', async (t) => {
    if (!availability.ok) return t.skip(availability.reason);
    const greedy = { ...task, resources: { ...task.resources, gpus: 3 } };
    await assert.rejects(create(5, undefined, greedy), (err: Error) => {
      assert.equal(err.name, FailureType.GpuUnavailable);
      assert.match(err.message, /needs 3 GPU\(s\) and this host has 2 \(from MLGYM_GPUS\)/);
      return true;
    });
    process.env.MLGYM_GPUS = '0,0';
    try {
      await assert.rejects(create(5), (err: Error) => err.name === FailureType.GpuInventory && /MLGYM_GPUS: GPU 0 is listed twice/.test(err.message));
    } finally {
      process.env.MLGYM_GPUS = '0,1';
    }
    assert.equal((await docker.listContainers({ all: true, filters: { label: [`mlgym.episode=${prefix}-5`] } })).length, 0, 'nothing was created');
  });
});

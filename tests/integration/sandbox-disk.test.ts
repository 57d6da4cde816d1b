import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import Docker from 'dockerode';
import { artifacts } from '../../activities/context';
import { execCommand } from '../../activities/exec-command';
import type { ExecRecord } from '../../activities/finish';
import { disksRoot } from '../../activities/sandbox/disk';
import { createDockerSandbox, DockerRuntime } from '../../activities/sandbox/docker';
import { safeName } from '../../activities/sandbox/paths';
import { reapSandboxes } from '../../activities/sandbox/reaper';
import { episodeKeys } from '../../lib/artifact-keys';
import type { SandboxHandle } from '../../lib/episode';
import type { TaskConfig } from '../../lib/task-config';
import { ensureDocker, removeLabelled } from '../support/docker';
import { writeSandboxTask } from '../support/sandbox-task';

const LIMIT_MB = 64;
const MB = 2 ** 20;
/** Beyond the limit, the host may lose this much: the image files' own metadata, and anything else writing meanwhile. */
const SLACK_MB = 8;
const NOTE = `The sandbox's disk limit of ${LIMIT_MB} MB is reached: free space by deleting files before writing more.`;

/** Loop mounts need root; without it the tests skip, except under CI=true. */
function available(): { ok: true } | { ok: false; reason: string } {
  const docker = ensureDocker();
  if (!docker.ok) return docker;
  if (process.getuid?.() === 0) return { ok: true };
  if (process.env.CI === 'true') throw new Error('sandbox disks need root when CI=true');
  return { ok: false, reason: 'sandbox disks need root (loop mounts)' };
}

const freeBytes = async (p: string) => {
  const stats = await fs.statfs(p);
  return stats.bavail * stats.bsize;
};

/** Runs `work` while sampling the free space of each path; the least free space seen on each. */
async function lowestFreeDuring<T>(paths: string[], work: () => Promise<T>): Promise<{ result: T; lowest: number[] }> {
  const lowest = await Promise.all(paths.map(freeBytes));
  let running = true;
  const sampler = (async () => {
    while (running) {
      const now = await Promise.all(paths.map(freeBytes));
      now.forEach((free, i) => (lowest[i] = Math.min(lowest[i], free)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return { result: await work(), lowest };
  } finally {
    running = false;
    await sampler;
  }
}

describe('sandbox disk limit', () => {
  const episodeId = `test-disk-${process.pid}-${Date.now()}`;
  const runtime = new DockerRuntime();
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'mlgym-disk-artifacts-'));
  const savedArtifacts = process.env.MLGYM_ARTIFACTS;
  let ready: ReturnType<typeof available> | undefined;
  let task: TaskConfig;
  let taskDir: string;
  let handle: SandboxHandle | undefined;
  /** The Docker data root and the disks folder: where a sandbox could take the host's space. */
  let watched: string[] = [];
  let freeAtStart: number[] = [];
  let diskDir: string;
  let step = 0;

  before(async () => {
    ready = available();
    if (!ready.ok) return;
    process.env.MLGYM_ARTIFACTS = artifactsDir;
    const written = writeSandboxTask();
    taskDir = written.taskDir;
    task = { ...written.task, resources: { ...written.task.resources, disk_mb: LIMIT_MB } };
    const root = disksRoot()!;
    await fs.mkdir(root, { recursive: true });
    diskDir = path.join(root, `mlgym-${safeName(episodeId)}`);
    watched = [(await new Docker().info()).DockerRootDir as string, root];
    freeAtStart = await Promise.all(watched.map(freeBytes));
    handle = await createDockerSandbox({ episodeId, task, taskDir });
  });

  after(async () => {
    if (savedArtifacts === undefined) delete process.env.MLGYM_ARTIFACTS;
    else process.env.MLGYM_ARTIFACTS = savedArtifacts;
    rmSync(artifactsDir, { recursive: true, force: true });
    if (!ready?.ok) return;
    await removeLabelled(`mlgym.episode=${episodeId}`);
    rmSync(taskDir, { recursive: true, force: true });
  });

  const it = (name: string, body: (h: SandboxHandle, t: TestContext) => Promise<void>): void => {
    test(name, async (t) => {
      if (!handle) return t.skip(ready?.ok === false ? ready.reason : 'sandbox was not created');
      await body(handle, t);
    });
  };

  /** One agent command through the episode's own path (the execCommand activity); its record. */
  const agentCommand = async (h: SandboxHandle, command: string, timeoutSec = 60): Promise<ExecRecord> => {
    step += 1;
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: episodeId, runId: `run-${process.pid}` } });
    await env.run(execCommand, { episodeId, step, handle: h, command, timeoutSec, observationChars: 0, transcriptLength: step * 2, maxSteps: 50 });
    return JSON.parse((await artifacts().get(episodeKeys(episodeId).execRecord(step))).toString('utf8')) as ExecRecord;
  };

  const lostMb = (start: number[], lowest: number[], i: number) => (start[i] - lowest[i]) / MB;
  const reportDrop = (t: TestContext, what: string, start: number[], lowest: number[]) =>
    watched.forEach((p, i) => t.diagnostic(`${what}: ${p} lost at most ${lostMb(start, lowest, i).toFixed(1)} MB (limit ${LIMIT_MB} MB)`));
  const assertBounded = (start: number[], lowest: number[]) =>
    watched.forEach((p, i) => assert.ok(lostMb(start, lowest, i) <= LIMIT_MB + SLACK_MB, `${p} lost ${lostMb(start, lowest, i).toFixed(1)} MB`));

  it('the container writes only to its disk: the root filesystem is read-only, even for root', async (h) => {
    const sh = (script: string, user: 'agent' | 'root' = 'agent') => runtime.exec(h, ['bash', '-c', script], { user });
    for (const user of ['agent', 'root'] as const) {
      const refused = await sh('touch /x /usr/x /var/x /etc/x 2>&1; true', user);
      assert.equal(refused.stdout.match(/Read-only file system/g)?.length, 4, refused.stdout);
    }
    const writable = ['/home/agent', '/home/agent/workspace', '/home/agent/.mlgym', '/tmp', '/var/tmp', '/opt/mlgym'];
    const sources = await sh(`df -P ${writable.join(' ')} | tail -n +2 | cut -d' ' -f1`);
    assert.deepEqual(
      sources.stdout
        .trim()
        .split('\n')
        .map((source) => /^\/dev\/loop\d+$/.test(source)),
      writable.map(() => true),
      sources.stdout,
    );
    assert.equal((await sh('touch ~/x /tmp/x /var/tmp/x ./x && echo ok')).stdout, 'ok\n');
  });

  it('a command writing past the limit is stopped and told so; the host loses at most the limit', async (h, t) => {
    const { result: record, lowest } = await lowestFreeDuring(watched, () => agentCommand(h, 'dd if=/dev/zero of=big bs=1M count=1000'));
    reportDrop(t, 'dd of 1000 MB', freeAtStart, lowest);
    assert.notEqual(record.exitCode, 0);
    assert.match(record.observation, /No space left on device/);
    assert.ok(record.observation.endsWith(`[${NOTE}]`), record.observation);
    assertBounded(freeAtStart, lowest);
    const images = await Promise.all(['data.img', 'state.img'].map((image) => fs.stat(path.join(diskDir, image))));
    const allocated = images.reduce((sum, image) => sum + image.blocks * 512, 0);
    t.diagnostic(`the disk's images take ${(allocated / MB).toFixed(1)} MB of the host`);
    assert.ok(allocated <= LIMIT_MB * MB);

    // The agent can still run commands, and free space.
    const freed = await agentCommand(h, 'rm big && echo freed');
    assert.equal(freed.observation, 'freed');
  });

  it('a command that keeps running after its writes fail is ended by its timeout, and told both', async (h) => {
    const record = await agentCommand(h, 'dd if=/dev/zero of=big bs=1M count=1000 2>/dev/null; while :; do sleep 0.2; done', 3);
    assert.match(record.observation, /EXECUTION TIMED OUT BECAUSE THE COMMAND WAS RUNNING FOR MORE THAN 3 SECONDS\.\n\[The sandbox's disk limit/);
    assert.ok(record.observation.endsWith(`[${NOTE}]`), record.observation);
    await agentCommand(h, 'rm big');
  });

  it("output that fills the runner's volume is cut, and the next command runs", async (h) => {
    const flood = await agentCommand(h, 'yes 0123456789 | head -c 100000000');
    assert.ok(flood.observation.endsWith('[the output was cut here: the disk is full]'), flood.observation.slice(-300));
    assert.equal((await agentCommand(h, 'echo next')).observation, 'next');
  });

  it('an evaluation writes only to a disk of its own, removed with it', async (_h, t) => {
    const evaluation = { ...task, evaluation_command: 'dd if=/dev/zero of=/tmp/big bs=1M count=1000; touch /x' };
    // The sandbox's disk keeps what the tests before wrote: the evaluation's own disk counts from here.
    const before = await Promise.all(watched.map(freeBytes));
    const { result, lowest } = await lowestFreeDuring(watched, () =>
      runtime.evaluate({ episodeId, task: evaluation, taskDir, submission: undefined, timeoutSec: 60 }),
    );
    reportDrop(t, 'evaluation writing 1000 MB', before, lowest);
    assert.match(result.stderr, /No space left on device/);
    assert.match(result.stderr, /Read-only file system/);
    assertBounded(before, lowest);
    const left = (await fs.readdir(path.dirname(diskDir))).filter((name) => name.startsWith(`mlgym-eval-${safeName(episodeId)}`));
    assert.deepEqual(left, []);
  });

  it("a stopped sandbox whose host lost its disk's mounts (a reboot) mounts them again when found", async () => {
    const otherId = `${episodeId}-reboot`;
    try {
      const first = await createDockerSandbox({ episodeId: otherId, task, taskDir });
      await runtime.exec(first, ['bash', '-c', 'echo kept > notes.txt']);
      await new Docker().getContainer(first.containerId!).stop({ t: 0 });
      const volumes = path.join(path.dirname(diskDir), `mlgym-${safeName(otherId)}`);
      for (const volume of ['data', 'state']) assert.equal(spawnSync('umount', [path.join(volumes, volume)]).status, 0);
      const again = await createDockerSandbox({ episodeId: otherId, task, taskDir });
      assert.equal(again.containerId, first.containerId);
      assert.equal((await runtime.exec(again, ['cat', 'notes.txt'])).stdout, 'kept\n');
    } finally {
      await removeLabelled(`mlgym.episode=${otherId}`);
    }
  });

  it('a sandbox made again after its container was removed gets a fresh disk; the reaper removes orphaned disks', async () => {
    const otherId = `${episodeId}-orphan`;
    const name = `mlgym-${safeName(otherId)}`;
    try {
      const first = await createDockerSandbox({ episodeId: otherId, task, taskDir });
      await runtime.exec(first, ['bash', '-c', 'echo old > notes.txt']);
      await new Docker().getContainer(first.containerId!).remove({ force: true });
      const again = await createDockerSandbox({ episodeId: otherId, task, taskDir });
      assert.equal((await runtime.exec(again, ['bash', '-c', 'cat notes.txt 2>&1'])).stdout, 'cat: notes.txt: No such file or directory\n');
      // A worker that crashed after removing the container leaves its disk: once the episode is closed, the reaper removes it.
      await new Docker().getContainer(again.containerId!).remove({ force: true });
      const closedOnly = (episode: string) => ({
        describe: async () => (episode === otherId ? { status: { name: 'COMPLETED' }, closeTime: new Date(0) } : { status: { name: 'RUNNING' } }),
      });
      const report = await reapSandboxes({ workflow: { getHandle: closedOnly } } as unknown as Client, { graceSec: 0 });
      assert.ok(report.removedDisks.includes(name), report.removedDisks.join(', '));
      await assert.rejects(fs.stat(path.join(path.dirname(diskDir), name)), { code: 'ENOENT' });
      assert.ok(!(await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(name));
    } finally {
      await removeLabelled(`mlgym.episode=${otherId}`);
    }
  });

  it('destroy unmounts and deletes the disk: no loop device or mount is left, the space is back', async (h, t) => {
    await runtime.destroy(h);
    await assert.rejects(fs.stat(diskDir), { code: 'ENOENT' });
    const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(diskDir), 'a volume is still mounted');
    const loops = spawnSync('losetup', ['-a'], { encoding: 'utf8' });
    assert.equal(loops.status, 0, loops.stderr);
    assert.ok(!loops.stdout.includes(diskDir), loops.stdout);
    // Freed blocks return once the journal commits.
    let free: number[] = [];
    for (let i = 0; i < 50; i++) {
      free = await Promise.all(watched.map(freeBytes));
      if (free.every((bytes, j) => freeAtStart[j] - bytes <= SLACK_MB * MB)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    watched.forEach((p, j) => t.diagnostic(`after destroy: ${p} is ${((freeAtStart[j] - free[j]) / MB).toFixed(1)} MB below its start`));
    free.forEach((bytes, j) => assert.ok(freeAtStart[j] - bytes <= SLACK_MB * MB, `${watched[j]} did not get its space back`));
  });
});

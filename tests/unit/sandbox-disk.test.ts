import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { extract } from 'tar-stream';
import { diskVolumes, disksRoot, FULL_BELOW_BYTES, isFull } from '../../activities/sandbox/disk';
import type { FsEntry } from '../../activities/sandbox/entries';
import { groupByRoot, packEntries } from '../../activities/sandbox/tar';
import { FailureType } from '../../lib/failures';
import { DEFAULT_DISK_MB, TaskConfig, TaskResources } from '../../lib/task-config';

const task = (resources?: object) =>
  TaskConfig.parse({ id: 't', name: 't', description: 'd', metric: { name: 'm', direction: 'max' }, submission_path: 'a', ...(resources && { resources }) });

test('a task has a disk limit: 20 GB unless it says otherwise, at least 64 MB, whole MB', () => {
  assert.equal(task().resources.disk_mb, DEFAULT_DISK_MB);
  assert.equal(task({ cpus: 2 }).resources.disk_mb, DEFAULT_DISK_MB);
  assert.equal(task({ disk_mb: 64 }).resources.disk_mb, 64);
  for (const bad of [63, 0, -1, 100.5, '1G']) {
    const parsed = TaskResources.safeParse({ disk_mb: bad });
    assert.equal(parsed.success, false, `disk_mb: ${JSON.stringify(bad)}`);
    assert.deepEqual(parsed.error?.issues[0].path, ['disk_mb']);
  }
  // Episodes started before disks existed carry resources without disk_mb: parsing fills it in.
  assert.equal(TaskResources.parse({ cpus: 1, memory_mb: 2048, pids: 512, gpus: 0 }).disk_mb, DEFAULT_DISK_MB);
});

test('MLGYM_SANDBOX_DISKS: an absolute folder, "off", or /var/lib/mlgym/disks', () => {
  assert.equal(disksRoot({}), '/var/lib/mlgym/disks');
  assert.equal(disksRoot({ MLGYM_SANDBOX_DISKS: ' ' }), '/var/lib/mlgym/disks');
  assert.equal(disksRoot({ MLGYM_SANDBOX_DISKS: '/srv/disks' }), '/srv/disks');
  assert.equal(disksRoot({ MLGYM_SANDBOX_DISKS: 'off' }), undefined);
  assert.throws(
    () => disksRoot({ MLGYM_SANDBOX_DISKS: 'disks' }),
    (err: Error) => err.name === FailureType.SandboxDiskUnavailable && /absolute folder or "off"/.test(err.message),
  );
});

test("a sandbox's disk is split between the agent's files and the runner's, exactly the limit", () => {
  const split = (role: 'sandbox' | 'evaluation', limitMb: number) => diskVolumes({ role, limitMb }).map((v) => `${v.volume} ${v.sizeMb}`);
  assert.deepEqual(split('sandbox', 64), ['data 48', 'state 16']);
  assert.deepEqual(split('sandbox', 4096), ['data 3840', 'state 256']);
  assert.deepEqual(split('sandbox', DEFAULT_DISK_MB), ['data 19456', 'state 1024']);
  assert.deepEqual(split('sandbox', 100_000), ['data 98976', 'state 1024']);
  assert.deepEqual(split('evaluation', 64), ['data 64']);
});

test('a volume is full once less than a few MB are left (a writer stopped by ENOSPC leaves ~1.5 MB)', () => {
  assert.equal(isFull({ bavail: 0, bsize: 4096 }), true);
  assert.equal(isFull({ bavail: 1_458_176 / 4096, bsize: 4096 }), true);
  assert.equal(isFull({ bavail: FULL_BELOW_BYTES / 1024, bsize: 1024 }), false);
  assert.equal(isFull({ bavail: 10_000_000, bsize: 4096 }), false);
});

const file = (p: string): FsEntry => ({ kind: 'file', path: p, owner: 'root', mode: 0o444, content: Buffer.from(p) });
const dir = (p: string): FsEntry => ({ kind: 'dir', path: p, owner: 'agent', mode: 0o755 });

test('entries go to the deepest writable folder holding them, the last entry last', () => {
  const roots = ['/home/agent', '/home/agent/.mlgym', '/opt/mlgym'];
  const entries = [
    dir('/home/agent/workspace'),
    file('/opt/mlgym/tools/x'),
    file('/home/agent/.mlgym/state'),
    file('/home/agent/workspace/a'),
    file('/etc/y'),
    file('/opt/mlgym/.ready'),
  ];
  const groups = groupByRoot(entries, roots).map((g) => [g.root, g.entries.map((e) => e.path)]);
  assert.deepEqual(groups, [
    ['/home/agent/.mlgym', ['/home/agent/.mlgym/state']],
    ['/home/agent', ['/home/agent/workspace', '/home/agent/workspace/a']],
    ['/', ['/etc/y']],
    ['/opt/mlgym', ['/opt/mlgym/tools/x', '/opt/mlgym/.ready']],
  ]);
  // A folder is not its own root: its entry (owner, mode) is written from the folder above.
  assert.deepEqual(
    groupByRoot([dir('/opt/mlgym')], roots).map((g) => g.root),
    ['/'],
  );
});

test('archive entries are named relative to the folder they are written into', async () => {
  const names: string[] = [];
  const reader = extract();
  reader.on('entry', (header, body, next) => {
    names.push(header.name);
    body.resume();
    body.on('end', next);
  });
  await pipeline(packEntries([dir('/home/agent/workspace'), file('/home/agent/workspace/a')], '/home/agent'), reader);
  assert.deepEqual(names, ['workspace', 'workspace/a']);
});

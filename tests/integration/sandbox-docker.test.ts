import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import Docker from 'dockerode';
import { pollDetached, startDetached } from '../../activities/sandbox/detached';
import { createDockerSandbox, DockerRuntime } from '../../activities/sandbox/docker';
import type { TaskConfig } from '../../lib/task-config';
import { detachedContract, type SandboxUnderTest, waitDone, waitRunning } from '../support/detached-contract';
import { bridgeGateway, type DockerAvailability, ensureDocker, removeLabelled } from '../support/docker';
import { SECRET, writeSandboxTask } from '../support/sandbox-task';

describe('docker sandbox', () => {
  const episodeId = `test-docker-${process.pid}-${Date.now()}`;
  const runtime = new DockerRuntime();
  let docker: DockerAvailability;
  let task: TaskConfig;
  let taskDir: string;
  let sandbox: SandboxUnderTest | undefined;
  let createMs = 0;

  before(async () => {
    docker = ensureDocker();
    if (!docker.ok) return;
    ({ task, taskDir } = writeSandboxTask());
    const started = Date.now();
    sandbox = { runtime, handle: await createDockerSandbox({ episodeId, task, taskDir }) };
    createMs = Date.now() - started;
  });

  after(async () => {
    if (!docker?.ok) return;
    await removeLabelled(`mlgym.episode=${episodeId}`);
    rmSync(taskDir, { recursive: true, force: true });
  });

  const it = (name: string, body: (s: SandboxUnderTest, t: TestContext) => Promise<void>): void => {
    test(name, async (t) => {
      if (!sandbox) return t.skip(docker.ok ? 'sandbox was not created' : docker.reason);
      await body(sandbox, t);
    });
  };
  const sh = (s: SandboxUnderTest, script: string) => s.runtime.exec(s.handle, ['bash', '-c', script]);

  it('creating the sandbox again finds the same container; exec is quick', async (s, t) => {
    const started = Date.now();
    const again = await createDockerSandbox({ episodeId, task, taskDir });
    t.diagnostic(`create: ${createMs} ms, re-find: ${Date.now() - started} ms`);
    assert.equal(again.containerId, s.handle.containerId);
    const rounds = 10;
    const t0 = Date.now();
    for (let i = 0; i < rounds; i++) assert.equal((await runtime.exec(s.handle, ['true'])).exitCode, 0);
    t.diagnostic(`exec round trip: ${((Date.now() - t0) / rounds).toFixed(0)} ms`);
  });

  it('runs commands as the agent, with stdin, separated stdout and stderr', async (s) => {
    const result = await runtime.exec(s.handle, ['bash', '-c', 'id -un; pwd; cat; echo oops >&2; exit 4'], { stdin: 'from stdin' });
    assert.deepEqual(result, { exitCode: 4, stdout: 'agent\n/home/agent/workspace\nfrom stdin', stderr: 'oops\n' });
    assert.equal((await runtime.exec(s.handle, ['id', '-un'], { user: 'root' })).stdout, 'root\n');
  });

  it('the agent cannot modify, delete, rename or chmod the evaluator copy; starter code is its own', async (s) => {
    const attempts = [
      'echo x >> evaluate.py',
      'rm -f evaluate.py',
      'mv evaluate.py e.py',
      'chmod 644 evaluate.py',
      'echo x > scoring.py',
      'touch data/new.csv',
      'rm -rf data',
    ];
    for (const attempt of attempts) {
      assert.notEqual((await sh(s, attempt)).exitCode, 0, `${attempt} should fail`);
    }
    const stat = await sh(s, 'stat -c "%U %a" evaluate.py scoring.py data data/train.csv');
    assert.equal(stat.stdout, 'root 444\nroot 444\nroot 555\nroot 444\n');
    assert.equal((await runtime.copyOut(s.handle, '/home/agent/workspace/evaluate.py'))?.toString(), readFileSync(`${taskDir}/evaluate.py`, 'utf8'));
    assert.equal(
      (await sh(s, 'echo "# mine" >> train.py && echo y > src/new.py && mkdir own && rm own -r && cat train.py')).stdout,
      'print("training")\n# mine\n',
    );
  });

  it('hidden files never enter the sandbox', async (s) => {
    const found = await sh(
      s,
      'find / -xdev \\( -name answers.txt -o -name labels.csv \\) 2>/dev/null; grep -rl --exclude-dir=proc --exclude-dir=sys ' + SECRET + ' / 2>/dev/null',
    );
    assert.equal(found.stdout, '');
    assert.equal((await sh(s, 'ls data')).stdout, 'train.csv\n');
  });

  it('the trusted evaluation sees the hidden files, runs as root without new privileges, and leaves nothing behind', async () => {
    const right = await new DockerRuntime().evaluate({ episodeId: 'eval-test', task, taskDir, submission: Buffer.from(`${SECRET}\n`), timeoutSec: 60 });
    assert.deepEqual(
      { exitCode: right.exitCode, stdout: right.stdout, timedOut: right.timedOut },
      { exitCode: 0, stdout: '{"accuracy": 1.0}\n', timedOut: false },
    );
    // Root, so a task's evaluator can keep its secrets from the submission's code, which it runs as
    // an unprivileged user; no-new-privileges means nothing in it can ever gain more.
    assert.match(right.stderr, /uid=0\b/);
    const wrong = await new DockerRuntime().evaluate({ episodeId: 'eval-test', task, taskDir, submission: Buffer.from('guess'), timeoutSec: 60 });
    assert.equal(wrong.stdout, '{"accuracy": 0.0}\n');
    const slow = await new DockerRuntime().evaluate({
      episodeId: 'eval-test',
      task: { ...task, evaluation_command: 'sleep 60' },
      taskDir,
      submission: undefined,
      timeoutSec: 1,
    });
    assert.equal(slow.timedOut, true);
    const left = await new Docker().listContainers({ all: true, filters: { label: ['mlgym.role=evaluation', `mlgym.task=${task.id}`] } });
    assert.deepEqual(left, []);
  });

  it('has no network: neither the internet nor the host bridge is reachable', async (s) => {
    const gateway = await bridgeGateway();
    const probe = (host: string, port: number) => `python3 -c "import socket; socket.create_connection(('${host}', ${port}), timeout=3)"`;
    for (const [host, port] of [
      ['1.1.1.1', 53],
      [gateway, 2375],
      [gateway, 22],
    ] as const) {
      const result = await sh(s, probe(host, port));
      assert.notEqual(result.exitCode, 0, `${host}:${port} was reachable`);
      assert.match(result.stderr, /unreachable|OSError/i);
    }
    assert.equal((await sh(s, 'ls /sys/class/net')).stdout, 'lo\n');
  });

  it('a memory hog is killed and reported as out of memory', async (s) => {
    await startDetached(runtime, s.handle, 'hog', `python3 -c "x = b'1' * (${2 * task.resources.memory_mb} * 2**20); print(len(x))"`, 60);
    const done = await waitDone(s, 'hog', 60_000);
    assert.equal(done.exitCode, 137);
    assert.equal(done.note, `killed (SIGKILL): likely out of memory (limit ${task.resources.memory_mb} MB)`);
  });

  it('a fork bomb is contained by the pids limit and its timeout leaves the sandbox usable', async (s, t) => {
    // The shell waits on a fifo (a builtin read) rather than `sleep`, which could not fork either.
    // Background jobs outlive a command that ends (MLGym's shell), so the bomb lasts until the
    // timeout kills the command's whole process group.
    await startDetached(runtime, s.handle, 'bomb', 'mkfifo "$HOME/tick"; bomb() { bomb | bomb & }; bomb; read -t 60 <>"$HOME/tick"', 3);
    const t0 = Date.now();
    const done = await waitDone(s, 'bomb', 60_000, true);
    t.diagnostic(`bomb: runner ${done.elapsedSec.toFixed(1)} s, observed ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(done.done, true);
    assert.equal(done.timedOut, true);
    const output = (await sh(s, 'cat "$HOME/.mlgym/exec/bomb/out"')).stdout;
    assert.match(output, /fork: (retry: )?Resource temporarily unavailable/);
    assert.equal((await sh(s, 'echo alive')).stdout, 'alive\n');
    const processes = Number((await sh(s, 'ps -e --no-headers | wc -l')).stdout);
    assert.ok(processes < 10, `${processes} processes remain`);
  });

  it('copyIn keeps restored agent files editable; copyOut refuses directories', async (s) => {
    const file = '/home/agent/workspace/restored/deep/x.py';
    await runtime.copyIn(s.handle, [{ path: file, content: Buffer.from('x = 1\n'), mode: 0o644, owner: 'agent' }]);
    assert.equal((await sh(s, 'echo y=2 >> restored/deep/x.py && touch restored/deep/new && cat restored/deep/x.py')).stdout, 'x = 1\ny=2\n');
    await assert.rejects(runtime.copyOut(s.handle, '/home/agent/workspace/restored'), { name: 'NotAFileError' });
  });

  it('a stopped sandbox is found and started again; its interrupted command reads as lost', async (s) => {
    await startDetached(runtime, s.handle, 'interrupted', 'sleep 306', 60);
    await waitRunning(s, 'interrupted');
    await new Docker().getContainer(s.handle.containerId!).stop({ t: 0 });
    assert.equal((await sh(s, 'echo back')).stdout, 'back\n'); // exec restarts a stopped sandbox
    await new Docker().getContainer(s.handle.containerId!).stop({ t: 0 });
    const again = await createDockerSandbox({ episodeId, task, taskDir });
    assert.equal(again.containerId, s.handle.containerId);
    const status = await pollDetached(runtime, s.handle, 'interrupted');
    assert.deepEqual([status.done, status.lost, status.exitCode], [true, true, undefined]);
    assert.match(status.note ?? '', /outcome is unknown/);
  });

  it('a container whose setup was interrupted is replaced', async () => {
    const otherId = `${episodeId}-partial`;
    const docker = new Docker();
    const partial = await docker.createContainer({
      Image: task.image,
      Entrypoint: ['sleep', 'infinity'],
      Labels: { 'mlgym.episode': otherId, 'mlgym.managed': 'true' },
    });
    try {
      const handle = await createDockerSandbox({ episodeId: otherId, task, taskDir });
      assert.notEqual(handle.containerId, partial.id);
      assert.equal(await runtime.exists({ ...handle, containerId: partial.id }), false);
      assert.equal((await runtime.exec(handle, ['cat', 'train.py'])).stdout, 'print("training")\n');
    } finally {
      await removeLabelled(`mlgym.episode=${otherId}`);
    }
  });

  detachedContract(
    () => sandbox,
    () => (docker.ok ? 'sandbox was not created' : docker.reason),
  );

  it('destroy removes the container', async (s) => {
    await runtime.destroy(s.handle);
    assert.equal(await runtime.exists(s.handle), false);
    await runtime.destroy(s.handle); // idempotent
    const left = await new Docker().listContainers({ all: true, filters: { label: [`mlgym.episode=${episodeId}`] } });
    assert.deepEqual(left, []);
  });
});

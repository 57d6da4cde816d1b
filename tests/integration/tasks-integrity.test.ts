import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { createDockerSandbox, DockerRuntime } from '../../activities/sandbox/docker';
import { ensureTaskData } from '../../activities/sandbox/task-data';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';
import { ensureDocker } from '../support/docker';

/**
 * For every shipped task, in its real image with its small prepared data: no answer file (the
 * task's hidden files, everything its prepare step put in hidden/) is anywhere in the agent's
 * sandbox, and neither the agent nor root inside the sandbox can alter the evaluator or the data.
 */
const runtime = new DockerRuntime();
const label = `integrity-${process.pid}-${Date.now()}`;
let docker: ReturnType<typeof ensureDocker>;

before(() => {
  docker = ensureDocker();
  process.env.MLGYM_DATA = 'small';
});

for (const taskId of listTaskIds()) {
  test(`${taskId}: answers stay out of the sandbox; the evaluator and data cannot be altered`, async (t) => {
    if (!docker.ok) return t.skip(docker.reason);
    const { config: task, dir: taskDir } = loadTask(taskId);
    const data = await ensureTaskData(task, taskDir, 'docker');
    const handle = await createDockerSandbox({ episodeId: `${label}-${taskId}`, task, taskDir, data });
    const sh = (script: string, user?: 'agent' | 'root') => runtime.exec(handle, ['bash', '-c', script], user ? { user } : {});
    try {
      const answers = [...task.hidden_files.map((p) => path.basename(p)), ...(data ? filesUnder(data.hiddenDir) : [])];
      t.diagnostic(`${taskId}: ${answers.length} answer files checked`);
      const everything = await sh('find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -type f -printf "%f\\n" 2>/dev/null');
      const present = new Set(everything.stdout.split('\n'));
      for (const name of answers) assert.ok(!present.has(name), `answer file ${name} is visible in the sandbox`);

      for (const evaluator of task.evaluation_paths) {
        for (const attempt of [`echo '# mine' >> ${evaluator}`, `rm -f ${evaluator}`, `mv ${evaluator} moved.py`, `chmod 666 ${evaluator}`]) {
          assert.notEqual((await sh(attempt)).exitCode, 0, `${attempt} should fail`);
        }
      }
      if (data) {
        assert.notEqual((await sh('touch data/mine && echo written')).exitCode, 0, 'the agent wrote into data/');
        const asRoot = await sh('touch data/mine 2>&1', 'root');
        assert.notEqual(asRoot.exitCode, 0, 'root inside the sandbox wrote into data/');
        assert.match(asRoot.stdout, /Read-only file system/);
        assert.notEqual((await sh('ls data')).stdout.trim(), '', 'the public data is there');
      }
    } finally {
      await runtime.destroy(handle);
    }
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [name];
  });
}

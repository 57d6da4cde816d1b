import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerRuntime } from '../../activities/sandbox/docker';
import { parseEvaluatorOutput } from '../../lib/evaluator-output';
import { copySubmissionOut } from '../../activities/sandbox/submission';
import { ensureTaskData } from '../../activities/sandbox/task-data';
import type { SandboxHandle } from '../../lib/episode';
import { taskAtScale } from '../../lib/task-scale';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';
import { ensureDocker } from '../support/docker';

/**
 * Every task's paper-scale starter, on CPUs: in the task's real image, in a real sandbox laid out
 * at the paper scale (MLGYM_SCALE=paper, the scale's starter files), it builds its full-size model
 * and trains for a bounded number of steps (`--max-steps 2`) on the small data, then the trusted
 * evaluator scores what it wrote, at the paper scale too. The sandbox gets no GPU (none here): the
 * paper GPU counts are checked in tests/unit/task-scale.test.ts, and used where GPUs exist
 * (scripts/bench/paper-gpu.sh).
 */

const MAX_STEPS = 2;
const runtime = new DockerRuntime();
let docker: ReturnType<typeof ensureDocker>;
const sandboxes: SandboxHandle[] = [];

before(() => {
  docker = ensureDocker();
});
after(async () => {
  for (const handle of sandboxes) await runtime.destroy(handle).catch(() => undefined);
});

for (const taskId of listTaskIds()) {
  test(`${taskId}: the paper-scale starter builds its full-size model, trains ${MAX_STEPS} steps on small data and is scored`, async (t) => {
    if (!docker.ok) return t.skip(`Docker is not available: ${docker.reason}`);
    const { config, dir } = loadTask(taskId);
    const paper = taskAtScale(config, 'paper', 'strict');
    const onCpu = { ...paper, resources: { ...paper.resources, gpus: 0 } };
    // The small data stands in for the paper data (hours of download); the sandbox is the paper one.
    const data = await ensureTaskData({ ...config, scale: 'small' }, dir, 'docker');
    const started = Date.now();
    const handle = await runtime.create({ episodeId: `paper-scale-${taskId}-${process.pid}`, taskDir: dir, task: onCpu, data });
    sandboxes.push(handle);
    const scale = await runtime.exec(handle, ['bash', '-c', 'echo $MLGYM_SCALE']);
    assert.equal(scale.stdout.trim(), 'paper', 'the sandbox tells the starter its scale');
    for (const [target, source] of Object.entries(config.scales.paper?.starter_files ?? {})) {
      const shown = await runtime.exec(handle, ['cat', target]);
      assert.equal(shown.exitCode, 0, `${target} (from ${source}) is in the workspace`);
    }
    let trained = '';
    if (paper.baseline_command) {
      const run = await runtime.exec(handle, ['bash', '-c', `${paper.baseline_command} --max-steps ${MAX_STEPS} 2>&1`]);
      trained = run.stdout;
      assert.equal(run.exitCode, 0, `${paper.baseline_command} --max-steps ${MAX_STEPS} failed:\n${run.stdout.slice(-3000)}`);
    }
    const trainSeconds = (Date.now() - started) / 1000;
    const submission = await copySubmissionOut(runtime, handle, onCpu);
    assert.ok(submission, `the starter wrote ${paper.submission_path}`);
    const evaluation = await runtime.evaluate({ episodeId: `paper-scale-${taskId}`, task: onCpu, taskDir: dir, submission, timeoutSec: 600, data });
    const parsed = parseEvaluatorOutput(evaluation.stdout);
    assert.ok(
      parsed.ok,
      `the evaluator printed no metrics (exit ${evaluation.exitCode}):\n${evaluation.stdout.slice(-1500)}\n${evaluation.stderr.slice(-1500)}`,
    );
    const score = parsed.metrics[paper.metric.name];
    assert.ok(Number.isFinite(score), `${paper.metric.name} is a number: ${JSON.stringify(parsed.metrics)}`);
    t.diagnostic(
      `${taskId}: ${paper.metric.name} ${score} after ${MAX_STEPS} steps; starter ${trainSeconds.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (trained ? `; starter said: ${trained.trim().split('\n').slice(-1)[0].slice(0, 160)}` : ''),
    );
    await runtime.destroy(handle);
  });
}

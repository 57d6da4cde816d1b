import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TaskDataError } from '../../activities/sandbox/errors';
import { dataLocation, prepareTaskData } from '../../activities/sandbox/task-data';
import { loadTask } from '../../scripts/lib/tasks';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { ensureDocker } from '../support/docker';
import { reply, runEpisode, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';

/**
 * Prepared data end to end on a fixture task: the prepare script runs in the task image, its
 * answers end up root-only outside the workspace, the sandbox sees public/ as a read-only data/,
 * and `validate` scores the test split (or, with the validate_split setting, the validation split) while `submit` scores the test split.
 */
const LOOKUP = path.join(REPO_ROOT, 'tests/fixtures/tasks/lookup/task.yaml');
let h: EpisodeHarness;
let docker: ReturnType<typeof ensureDocker>;
const dataDir = mkdtempSync(path.join(tmpdir(), 'mlgym-data-'));

before(async () => {
  docker = ensureDocker();
  Object.assign(process.env, { MLGYM_DATA: 'small', MLGYM_DATA_DIR: dataDir });
  h = await startEpisodeHarness();
});
after(async () => {
  await h?.stop();
});

test('prepare runs in the task image once; answers are root-only; a failing source says what to do', async (t) => {
  if (!docker.ok) return t.skip(docker.reason);
  const { config, dir } = loadTask(LOOKUP);
  const started = Date.now();
  const prepared = await prepareTaskData(config, dir, { variant: 'small', runtime: 'docker' });
  const firstMs = Date.now() - started;
  assert.equal(prepared.dir, dataLocation('lookup', 'small').dir);
  assert.equal(statSync(prepared.hiddenDir).mode & 0o777, 0o700);
  assert.equal(statSync(path.join(prepared.hiddenDir, 'test_labels.csv')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(prepared.publicDir, 'train.csv')).mode & 0o777, 0o644);
  const again = Date.now();
  await prepareTaskData(config, dir, { variant: 'small', runtime: 'docker' });
  t.diagnostic(`prepare: ${firstMs} ms, cached: ${Date.now() - again} ms`);

  const emptySource = mkdtempSync(path.join(tmpdir(), 'mlgym-source-'));
  await assert.rejects(prepareTaskData(config, dir, { variant: 'full', runtime: 'docker', sourceDir: emptySource }), (err: Error) => {
    assert.ok(err instanceof TaskDataError);
    assert.match(err.message, /preparing the full data of lookup failed \(exit 1\)/);
    assert.match(err.message, /put the downloaded rows\.txt there/);
    return true;
  });
  assert.throws(() => statSync(dataLocation('lookup', 'full').dir), /ENOENT/, 'a failed preparation leaves nothing behind');
});

// Docker runs the default (validate scores test, as MLGym); local the validation-split setting.
for (const [runtime, validateSplit] of [
  ['docker', 'test'],
  ['local', 'validation'],
] as const) {
  test(`${runtime}: the sandbox reads data/ but not the answers; validate scores ${validateSplit}, submit scores test`, async (t) => {
    if (runtime === 'docker' && !docker.ok) return t.skip(docker.reason);
    const traj = path.join(mkdtempSync(path.join(tmpdir(), 'mlgym-traj-')), 'lookup.traj');
    // `ls data/`: with MLGym's `ls -F` alias, `ls data` shows the local runtime's symlink itself. The
    // search of the whole filesystem matters in Docker only (the local runtime is not isolated).
    const steps = [
      runtime === 'docker' ? 'ls data/; find / -name "*_labels.csv" 2>/dev/null | wc -l' : 'ls data/',
      'touch data/mine.csv 2>&1 || echo data is read-only',
      'python3 predict.py',
      'validate',
      'submit',
    ];
    writeFileSync(traj, JSON.stringify({ trajectory: steps.map((command) => ({ response: reply(command) })) }));
    const input = h.input({ taskFile: LOOKUP, runtime, model: `replay:${traj}`, limits: { validate_split: validateSplit } });
    const result = await runEpisode(h, input);
    assert.equal(result.exitStatus, 'submitted');
    const [validate, submit] = result.evaluations;
    assert.equal(validate.kind, 'validate');
    assert.equal(validate.split, validateSplit);
    assert.equal(validate.metrics.rows, validateSplit === 'validation' ? 5 : 15);
    assert.equal(submit.kind, 'submit');
    assert.equal(submit.split, 'test');
    assert.equal(submit.metrics.rows, 15);
    // Best attempt is over test-split scores only, as MLGym's.
    assert.equal(result.bestScore, validateSplit === 'validation' ? submit.metrics.accuracy : Math.max(validate.metrics.accuracy, submit.metrics.accuracy));
    const { trajectory } = JSON.parse(readFileSync(result.trajectoryPath, 'utf8')) as { trajectory: { observation: string }[] };
    assert.match(trajectory[0].observation, /test\.csv\ntrain\.csv\nvalidation\.csv/);
    if (runtime === 'docker') {
      assert.match(trajectory[0].observation, /^0$/m, 'no answer file anywhere in the sandbox');
      assert.match(trajectory[1].observation, /data is read-only/);
    }
  });
}

test('an episode on unprepared full data fails at once, saying which command prepares it', async (t) => {
  if (!docker.ok) return t.skip(docker.reason);
  process.env.MLGYM_DATA = 'full';
  try {
    const input = h.input({ taskFile: LOOKUP, runtime: 'docker', model: `replay:${path.join(REPO_ROOT, 'tasks/blotto/demo.traj')}` });
    const started = Date.now();
    await assert.rejects(runEpisode(h, input), (err: Error & { cause?: Error & { cause?: Error } }) => {
      const message = err.cause?.cause?.message ?? '';
      assert.match(message, /the data of task lookup is not prepared on this machine/);
      assert.match(message, /run `npx mlgym tasks prepare lookup` first, or set MLGYM_DATA=small/);
      return true;
    });
    assert.ok(Date.now() - started < 30_000, 'not retried');
  } finally {
    process.env.MLGYM_DATA = 'small';
  }
});

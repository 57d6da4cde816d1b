import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { buildSweepReport, reportTasksOf } from '../../lib/report/sweep-report';
import { renderReportHtml, renderReportMarkdown } from '../../lib/report/render';
import { TaskConfig } from '../../lib/task-config';
import { baselineOrigin, taskAtScale } from '../../lib/task-scale';
import { listTaskIds, loadTask } from '../../scripts/lib/tasks';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { reportFixture } from '../support/report-fixture';

const base = TaskConfig.parse({
  id: 'toy',
  name: 'Toy',
  description: 'a toy task',
  metric: { name: 'accuracy', direction: 'max' },
  submission_path: 'submission.csv',
  baseline_scores: [{ accuracy: 0.9 }],
  baseline_source: "MLGym's paper",
  training_timeout: 1800,
  scales: {
    small: { baseline_scores: [{ accuracy: 0.4 }], baseline_origin: 'measured', baseline_source: 'measured on the small data' },
    paper: { resources: { gpus: 1 }, training_timeout: 7200, differences: 'the weights are random' },
  },
});

test('a scale replaces resources, timeout and baseline; a scale without a baseline shows none', () => {
  const small = taskAtScale(base, 'small', 'strict');
  assert.equal(small.scale, 'small');
  assert.deepEqual(small.baseline_scores, [{ accuracy: 0.4 }]);
  assert.equal(small.baseline_source, 'measured on the small data');
  assert.equal(small.resources.gpus, 0);
  assert.equal(baselineOrigin(base, 'small'), 'measured');

  const paper = taskAtScale(base, 'paper', 'strict');
  assert.equal(paper.resources.gpus, 1);
  assert.equal(paper.resources.memory_mb, base.resources.memory_mb, 'unnamed resources keep the task value');
  assert.equal(paper.training_timeout, 7200);
  assert.deepEqual(paper.baseline_scores, [], "MLGym's top-level number is not this starter's score");
  assert.match(paper.baseline_source, /mlgym tasks baseline toy --scale paper/);
  assert.equal(baselineOrigin(base, 'paper'), 'none');
});

test('a cached measurement wins; conditions decide the network', () => {
  const measured = { scores: { accuracy: 0.77 }, source: 'measured by `mlgym tasks baseline`' };
  const paper = taskAtScale(base, 'paper', 'mlgym', measured);
  assert.deepEqual(paper.baseline_scores, [{ accuracy: 0.77 }]);
  assert.equal(baselineOrigin(base, 'paper', measured), 'cached');
  assert.equal(paper.network, true);
  assert.equal(taskAtScale(base, 'paper', 'strict').network, false);
  assert.equal(taskAtScale({ ...base, network: true }, 'small', 'strict').network, true, 'strict keeps a task that needs the network');
});

test('a task without scales runs the same at both, with its own baseline', () => {
  const plain = { ...base, scales: {} };
  assert.deepEqual(taskAtScale(plain, 'paper', 'strict').baseline_scores, [{ accuracy: 0.9 }]);
  assert.equal(baselineOrigin(plain, 'paper'), 'task file');
});

test('the report states each task’s scale, conditions, GPUs, network and baseline source', () => {
  const tasks = reportTasksOf({ tasks: [{ id: 'toy', config: taskAtScale(base, 'paper', 'mlgym') }], conditions: 'mlgym' });
  assert.deepEqual(tasks[0].setup, { scale: 'paper', conditions: 'mlgym', gpus: 1, network: true, differences: 'the weights are random' });
  const input = reportFixture();
  input.tasks = input.tasks.map((t) => ({ ...t, setup: tasks[0].setup, baselineSource: 'measured here' }));
  const report = buildSweepReport(input);
  const markdown = renderReportMarkdown(report);
  assert.match(markdown, /## Setup/);
  assert.match(markdown, /\| acc \| paper \| mlgym \| 1 \| on \| measured here \| the weights are random \|/);
  assert.match(renderReportHtml(report), /<table id="setup">/);
  const legacy = reportTasksOf({ tasks: [{ id: 'old', config: base }] });
  assert.equal(legacy[0].setup, undefined, 'a sweep from before scales states no setup');
});

const MLGYM_TASKS = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout', 'configs', 'tasks');

/** MLGym's published baseline of a task (its task file in the checkout subset). */
function mlgymBaseline(id: string): Record<string, number> | undefined {
  const file = path.join(MLGYM_TASKS, `${id}.yaml`);
  if (!existsSync(file)) {
    if (process.env.CI === 'true') throw new Error(`MLGym's checkout subset is required when CI=true: ${file} is missing`);
    return undefined;
  }
  return (YAML.parse(readFileSync(file, 'utf8')) as { baseline_scores: Record<string, number>[] }).baseline_scores[0];
}

/** MLGym-Bench's GPUs per agent (the paper's compute setup). */
const PAPER_GPUS: Record<string, number> = {
  '3SATTime': 0,
  battleOfSexes: 0,
  blotto: 0,
  prisonersDilemma: 0,
  imageCaptioningCOCO: 1,
  imageClassificationCifar10: 1,
  imageClassificationFMnist: 1,
  regressionKaggleHousePrice: 1,
  languageModelingFineWeb: 2,
  naturalLanguageInferenceMNLI: 2,
  rlBreakoutMinAtar: 2,
  rlMetaMazeMisc: 2,
  rlMountainCarContinuous: 2,
};

for (const id of listTaskIds()) {
  test(`${id}: both scales are declared, honestly`, () => {
    const { config, dir } = loadTask(id);
    const { small, paper } = config.scales;
    assert.ok(small && paper, 'the task declares scales.small and scales.paper');
    assert.equal(taskAtScale(config, 'paper', 'strict').resources.gpus, PAPER_GPUS[id]);
    assert.equal(small.resources?.gpus ?? config.resources.gpus, 0, 'the small scale runs on CPUs');
    for (const [scale, settings] of Object.entries({ small, paper })) {
      if (settings.baseline_scores?.length) {
        assert.ok(config.metric.name in settings.baseline_scores[0], `${scale} baseline names the metric`);
        assert.ok(settings.baseline_source, `${scale} says where its baseline comes from`);
      }
      if (settings.baseline_origin === 'mlgym') {
        const published = mlgymBaseline(id);
        assert.ok(published, `${scale} claims MLGym's number: MLGym's task file configs/tasks/${id}.yaml must be in the checkout`);
        assert.equal(settings.baseline_scores?.[0][config.metric.name], published[config.metric.name], `${scale} claims MLGym's published number`);
      }
      for (const source of Object.values(settings.starter_files)) {
        assert.ok(existsSync(path.join(dir, source)), `${scale} starter file ${source} exists`);
        assert.ok(!config.starter_code.some((s) => source === s || source.startsWith(`${s}/`)), `${source} is not also copied as starter code`);
      }
    }
    assert.equal(small.baseline_origin, 'measured', 'the small data is ours: its baseline is measured');
    if (id === '3SATTime') assert.equal(paper.baseline_scores, undefined, "3-SAT's Time depends on the machine: measured on the host");
  });
}

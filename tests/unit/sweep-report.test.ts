import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAup } from '../../lib/metrics/aup';
import { buildSweepReport, reportInputOf, reportTasksOf, sweepReportKeys } from '../../lib/report/sweep-report';
import { profileSvg, renderReportHtml, renderReportJson, renderReportMarkdown } from '../../lib/report/render';
import { reportFixture } from '../support/report-fixture';

test('best attempt and best submission follow MLGym: best over all evaluations / best final evaluation, per direction', () => {
  const report = buildSweepReport(reportFixture());
  assert.deepEqual(report.methods, ['baseline', 'alpha', 'beta']);
  const [acc, loss] = report.tasks;
  assert.equal(acc.baseline, 0.5);
  assert.deepEqual(acc.models.alpha, { bestAttempt: 0.7, bestSubmission: 0.65, completedRuns: 2, runs: 2 });
  // The failed run contributes nothing.
  assert.deepEqual(acc.models.beta, { bestAttempt: 0.8, bestSubmission: 0.55, completedRuns: 1, runs: 2 });
  assert.equal(loss.direction, 'min');
  assert.deepEqual(loss.models.alpha, { bestAttempt: 1.2, bestSubmission: 1.4, completedRuns: 2, runs: 2 });
  assert.deepEqual(loss.models.beta, { bestAttempt: 1.9, bestSubmission: 2.5, completedRuns: 1, runs: 2 });
  assert.deepEqual(report.bestAttempt.rows, [
    { task: 'acc', scores: [0.5, 0.7, 0.8] },
    { task: 'loss', scores: [2, 1.2, 1.9] },
  ]);
  assert.deepEqual(report.bestSubmission.rows, [
    { task: 'acc', scores: [0.5, 0.65, 0.55] },
    { task: 'loss', scores: [2, 1.4, 2.5] },
  ]);
});

test('the AUP table is computeAup on the two tables, lower-is-better from each task metric direction', () => {
  const report = buildSweepReport(reportFixture());
  assert.ok(report.aup, report.aupError);
  const expected = computeAup({ best: report.bestAttempt, last: report.bestSubmission, lowerIsBetter: ['loss'] });
  assert.deepEqual(report.aup.summary, expected.summary);
  assert.deepEqual(report.aup.lowerIsBetter, ['loss']);
  assert.equal(report.aup.logTauGrid.length, 500);
  // beta's 2.5 loss submission is worse than the baseline: infeasible.
  assert.equal(report.aup.bestSubmission.tasks[1].status.beta, 'infeasible');
});

test('missing scores are empty cells, not zeros', () => {
  const input = reportFixture();
  // Final evaluations without the priority metric and no baseline score; the episodes' best scores stay.
  input.tasks[0] = { ...input.tasks[0], metric: { name: 'F1', direction: 'max' }, baselineScores: [] };
  const report = buildSweepReport(input);
  assert.deepEqual(report.bestAttempt.rows[0].scores, [null, 0.7, 0.8]);
  assert.deepEqual(report.bestSubmission.rows[0].scores, [null, null, null]);
  assert.ok(report.aup);
  assert.ok(renderReportMarkdown(report).includes('| acc | F1 ↑ |  | 0.7 |  | 0.8 |  |'));
});

test('cost per model and exit-status counts', () => {
  const report = buildSweepReport(reportFixture());
  assert.deepEqual(report.costByModel, [
    { key: 'alpha', model: 'openai:alpha', costUsd: 2, episodes: 4, meanCostUsd: 0.5 },
    { key: 'beta', model: 'anthropic:beta', costUsd: 1.25, episodes: 3, meanCostUsd: 0.416667 },
  ]);
  assert.equal(report.totalCostUsd, 3.25);
  assert.deepEqual(report.exitStatusCounts, { submitted: 5, 'autosubmission (max_steps)': 1, failed: 1, not_started: 1 });
  assert.deepEqual(report.exitStatusByModel.beta, { 'autosubmission (max_steps)': 1, failed: 1, submitted: 1, not_started: 1 });
});

test('a model named "baseline" does not collide with the baseline method', () => {
  const input = reportFixture();
  input.models[0] = { key: 'baseline', model: 'openai:alpha' };
  input.cells = input.cells.map((c) => (c.model === 'alpha' ? { ...c, model: 'baseline' } : c));
  const report = buildSweepReport(input);
  assert.deepEqual(report.methods, ['task baseline', 'baseline', 'beta']);
  assert.ok(report.aup);
});

test('Markdown has the score, AUP, cost and exit-status tables', () => {
  const report = buildSweepReport(reportFixture());
  const md = renderReportMarkdown(report);
  assert.match(md, /^# Sweep report: demo/);
  assert.match(md, /\| acc \| Accuracy ↑ \| 0\.5 \| 0\.7 \| 0\.65 \| 0\.8 \| 0\.55 \|/);
  assert.match(md, /\| loss \| Loss ↓ \| 2 \| 1\.2 \| 1\.4 \| 1\.9 \| 2\.5 \|/);
  for (const s of report.aup?.summary ?? []) assert.ok(md.includes(`| ${s.method} | ${s.bestAttemptAup.toFixed(3)} |`), s.method);
  assert.match(md, /\| beta \| anthropic:beta \| 3 \| \$1\.2500 \|/);
  assert.match(md, /\| Total \| 1 \| 1 \| 1 \| 5 \|/);
  assert.deepEqual(JSON.parse(renderReportJson(report)), JSON.parse(JSON.stringify(report)));
});

test('HTML is self-contained: inline CSS and SVG, no script, no external reference, text escaped', () => {
  const input = reportFixture();
  input.sweepId = 'demo<script>alert(1)</script>';
  const html = renderReportHtml(buildSweepReport(input));
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /<style>/);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /\b(?:src|href)=/i);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.match(html, /demo&lt;script&gt;/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.equal((html.match(/<polyline class="profile"/g) ?? []).length, 6);
  assert.equal((html.match(/class="legend-item"/g) ?? []).length, 6);
});

test('a profile is drawn as a step line from 0 to tau_max within the plot area', () => {
  const report = buildSweepReport(reportFixture());
  const aup = report.aup;
  assert.ok(aup);
  const svg = profileSvg('p', 'title', aup.bestAttempt, aup.methods, aup.logTauGrid, aup.logTauMax);
  for (const method of aup.methods) {
    const match = new RegExp(`data-method="${method}"[^>]*points="([^"]+)"`).exec(svg);
    assert.ok(match, method);
    const points = match[1].split(' ').map((p) => p.split(',').map(Number));
    const xs = points.map(([x]) => x);
    const ys = points.map(([, y]) => y);
    assert.equal(Math.min(...xs), 56);
    assert.equal(Math.max(...xs), 640 - 170);
    assert.ok(ys.every((y) => y >= 34 && y <= 380 - 48));
    // Profiles never go down: y (SVG, downward) never increases.
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i] <= ys[i - 1] + 1e-9);
    // The profile's end value is its fraction of tasks at tau_max.
    const last = aup.bestAttempt.profiles[method].at(-1) ?? 0;
    assert.ok(Math.abs(ys[ys.length - 1] - (34 + (1 - last) * (380 - 34 - 48))) < 0.01);
  }
});

test('report input from a running sweep, plan tasks and artifact keys', () => {
  const fixture = reportFixture();
  const input = reportInputOf(
    { sweepId: 's', tasks: fixture.tasks, models: fixture.models, status: { phase: 'running', counts: fixture.counts, cells: fixture.cells } },
    'now',
  );
  assert.equal(input.outcome, 'in progress (running)');
  const tasks = reportTasksOf({ tasks: [{ id: 't', config: { name: 'T', metric: { name: 'M', direction: 'min' }, baseline_scores: [{ M: 1 }] } }] });
  assert.deepEqual(tasks, [{ id: 't', name: 'T', metric: { name: 'M', direction: 'min' }, baselineScores: [{ M: 1 }] }]);
  assert.deepEqual(sweepReportKeys('s'), { root: 'sweeps/s', json: 'sweeps/s/report.json', markdown: 'sweeps/s/report.md', html: 'sweeps/s/report.html' });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import type { SweepResult } from '../../lib/sweep';
import { sweepWorkflowId, type SweepSpecInput } from '../../lib/sweep-spec';
import { buildSweepReport, sweepReportKeys, type SweepReport } from '../../lib/report/sweep-report';
import { renderReportHtml } from '../../lib/report/render';
import { launchSweep, loadSweepPlan } from '../../scripts/lib/sweeps';
import { REPO_ROOT } from '../../scripts/lib/settings';
import { ensureChromium, launchChromium } from '../support/chromium';
import { GUESS_TASK, reply, startEpisodeHarness, type EpisodeHarness } from '../support/episode-harness';
import { reportFixture } from '../support/report-fixture';

/**
 * The sweep report end to end: a real sweep writes report.{json,md,html} to the artifact store when
 * it ends, `mlgym sweep report --out` writes the same files, and headless Chromium (Debian's, driven
 * by playwright-core) renders the HTML: both profile plots with a line per method, and the tables.
 */
const skip = ensureChromium();
const workDir = mkdtempSync(path.join(tmpdir(), 'mlgym-report-'));

/** What the page shows, read in the browser after rendering. */
interface Rendered {
  tables: Record<string, number>;
  aupCells: string[];
  plots: Record<string, { method: string | null; length: number; width: number; height: number }[]>;
  legends: Record<string, number>;
  requests: string[];
}

/** Runs in the page (as text: this project compiles without the DOM's types). */
const IN_PAGE = `(() => {
  const rows = (id) => document.querySelectorAll('#' + id + ' tbody tr').length;
  const plots = {};
  const legends = {};
  for (const svg of document.querySelectorAll('svg')) {
    plots[svg.id] = Array.from(svg.querySelectorAll('polyline.profile')).map((line) => {
      const box = line.getBBox();
      return { method: line.getAttribute('data-method'), length: line.getTotalLength(), width: box.width, height: box.height };
    });
    legends[svg.id] = svg.querySelectorAll('.legend-item').length;
  }
  return {
    tables: Object.fromEntries(['scores', 'aup', 'cost', 'exit-statuses'].map((id) => [id, rows(id)])),
    aupCells: Array.from(document.querySelectorAll('#aup tbody td')).map((td) => td.textContent || ''),
    plots,
    legends,
  };
})()`;

async function render(file: string): Promise<Rendered> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const seen = await page.evaluate<Omit<Rendered, 'requests'>>(IN_PAGE);
    return { ...seen, requests };
  } finally {
    await browser.close();
  }
}

function checkRendered(rendered: Rendered, report: SweepReport, file: string) {
  const aup = report.aup;
  assert.ok(aup, report.aupError);
  assert.deepEqual(rendered.tables, {
    scores: report.tasks.length,
    aup: report.methods.length,
    cost: report.costByModel.length + 1,
    'exit-statuses': Object.keys(report.exitStatusByModel).length + 1,
  });
  for (const s of aup.summary) {
    assert.ok(rendered.aupCells.includes(s.bestAttemptAup.toFixed(3)), `best-attempt AUP of ${s.method} shown`);
    assert.ok(rendered.aupCells.includes(s.bestSubmissionAup.toFixed(3)), `best-submission AUP of ${s.method} shown`);
  }
  assert.deepEqual(Object.keys(rendered.plots).sort(), ['profile-best-attempt', 'profile-best-submission']);
  for (const [id, lines] of Object.entries(rendered.plots)) {
    assert.deepEqual(
      lines.map((l) => l.method),
      report.methods,
      `${id}: one line per method`,
    );
    // Every line is laid out and spans the x axis (0 to tau_max = 414 px of plot width).
    for (const line of lines) {
      assert.ok(line.length > 0, `${id} ${line.method}: drawn`);
      assert.ok(Math.abs(line.width - 414) < 1, `${id} ${line.method}: spans the plot (${line.width})`);
    }
    assert.equal(rendered.legends[id], report.methods.length);
  }
  // Self-contained: the page loads nothing but itself.
  assert.deepEqual(rendered.requests, [pathToFileURL(file).href]);
}

describe('sweep report in headless Chromium', { skip }, () => {
  test('a synthetic report with three methods renders its plots and tables', async () => {
    const report = buildSweepReport(reportFixture());
    const file = path.join(workDir, 'fixture.html');
    writeFileSync(file, renderReportHtml(report));
    checkRendered(await render(file), report, file);
  });

  describe('a real sweep', () => {
    let h: EpisodeHarness;
    const name = `report-${process.pid}`;
    let result: SweepResult;

    before(async () => {
      h = await startEpisodeHarness();
      h.llm.setResponder(() => reply('submit'));
      const spec: SweepSpecInput = {
        name,
        tasks: [GUESS_TASK],
        models: [
          { model: 'openai:gpt-4o', id: 'gpt4o' },
          { model: 'openai:gpt-4o-mini', id: 'mini', input_price_per_mtok: 0.15, output_price_per_mtok: 0.6 },
        ],
        runs: 2,
        limits: { max_steps: 3 },
        concurrency: 4,
        runtime: 'local',
      };
      const file = path.join(workDir, 'spec.yaml');
      writeFileSync(file, YAML.stringify(spec));
      await launchSweep(h.env.client, await loadSweepPlan(file), h.taskQueue);
      result = (await h.env.client.workflow.getHandle(sweepWorkflowId(name)).result()) as SweepResult;
    });
    after(async () => {
      await h?.stop();
    });

    test('the sweep stores its report as artifacts when it ends, and Chromium renders it', async () => {
      assert.equal(result.status, 'completed');
      const keys = sweepReportKeys(name);
      for (const key of [keys.json, keys.markdown, keys.html]) assert.ok(existsSync(path.join(h.artifactsDir, key)), `${key} stored`);
      const report = JSON.parse(readFileSync(path.join(h.artifactsDir, keys.json), 'utf8')) as SweepReport;
      assert.equal(report.outcome, 'completed');
      assert.deepEqual(report.methods, ['baseline', 'gpt4o', 'mini']);
      assert.deepEqual(report.exitStatusCounts, { submitted: 4 });
      assert.deepEqual(report.bestSubmission.rows[0].scores.slice(0, 1), [-4]);
      const html = path.join(h.artifactsDir, keys.html);
      checkRendered(await render(html), report, html);
      assert.match(readFileSync(path.join(h.artifactsDir, keys.markdown), 'utf8'), /## AUP/);
    });

    test('`mlgym sweep report --out` writes the three files', async () => {
      const out = path.join(workDir, 'cli-report');
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/mlgym.js'), 'sweep', 'report', name, '--out', out, '--json'], {
        env: { ...process.env, TEMPORAL_ADDRESS: h.env.address, MLGYM_TASK_QUEUE: h.taskQueue },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0, stderr);
      const printed = JSON.parse(stdout) as { files: string[]; aup: { method: string }[]; exitStatusCounts: Record<string, number> };
      assert.deepEqual(printed.files.map((f) => path.basename(f)).sort(), ['report.html', 'report.json', 'report.md']);
      assert.deepEqual(
        printed.aup.map((a) => a.method),
        ['baseline', 'gpt4o', 'mini'],
      );
      assert.deepEqual(printed.exitStatusCounts, { submitted: 4 });
      const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as SweepReport;
      const html = path.join(out, 'report.html');
      checkRendered(await render(html), report, html);
    });
  });
});

/**
 * Renders a sweep report (./sweep-report.ts) as JSON, Markdown and a self-contained HTML page:
 * inline CSS, inline SVG performance-profile plots, no script and no external asset.
 *
 * Pure: no Node built-ins.
 */
import type { ScoreSetResult } from '../metrics/aup';
import type { SweepReport } from './sweep-report';

export function renderReportJson(report: SweepReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const fmtScore = (value: number | null | undefined): string =>
  typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(6))) : '';
const fmtAup = (value: number): string => value.toFixed(3);
const fmtUsd = (value: number): string => `$${value.toFixed(4)}`;
const arrow = (direction: 'max' | 'min') => (direction === 'max' ? '↑' : '↓');

function mdTable(header: string[], rows: string[][]): string {
  const esc = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

interface Tables {
  setup: { header: string[]; rows: string[][] } | null;
  scores: { header: string[]; rows: string[][] };
  aup: { header: string[]; rows: string[][] } | null;
  cost: { header: string[]; rows: string[][] };
  exits: { header: string[]; rows: string[][] };
}

/** Per task: the scale, conditions, GPUs, network and baseline origin its episodes ran with. */
function setupTable(report: SweepReport): Tables['setup'] {
  if (!report.tasks.some((row) => row.setup)) return null;
  return {
    header: ['Task', 'Scale', 'Conditions', 'GPUs', 'Network', 'Baseline source', 'Not reproduced from MLGym'],
    rows: report.tasks.map((row) => {
      const s = row.setup;
      return [
        row.task,
        s?.scale ?? '',
        s?.conditions ?? '',
        s ? String(s.gpus) : '',
        s ? (s.network ? 'on' : 'off') : '',
        row.baselineSource ?? '',
        s?.differences ?? '',
      ];
    }),
  };
}

function tables(report: SweepReport): Tables {
  const models = report.methods.slice(1);
  const scores = {
    header: ['Task', 'Metric', report.baselineMethod, ...models.flatMap((m) => [`${m} best attempt`, `${m} best submission`])],
    rows: report.tasks.map((row) => [
      row.task,
      `${row.metric} ${arrow(row.direction)}`,
      fmtScore(row.baseline),
      ...models.flatMap((m) => [fmtScore(row.models[m]?.bestAttempt), fmtScore(row.models[m]?.bestSubmission)]),
    ]),
  };
  const aup = report.aup
    ? {
        header: ['Method', 'Best attempt AUP', 'Rank', 'Best submission AUP', 'Rank'],
        rows: report.aup.summary.map((s) => [
          s.method,
          fmtAup(s.bestAttemptAup),
          String(s.ranks.bestAttempt),
          fmtAup(s.bestSubmissionAup),
          String(s.ranks.bestSubmission),
        ]),
      }
    : null;
  const cost = {
    header: ['Model', 'Spec', 'Episodes', 'Cost (USD)', 'Mean per episode'],
    rows: [
      ...report.costByModel.map((c) => [c.key, c.model, String(c.episodes), fmtUsd(c.costUsd), fmtUsd(c.meanCostUsd)]),
      ['Total', '', String(report.costByModel.reduce((n, c) => n + c.episodes, 0)), fmtUsd(report.totalCostUsd), ''],
    ],
  };
  const statuses = Object.keys(report.exitStatusCounts).sort();
  const exits = {
    header: ['Model', ...statuses],
    rows: [
      ...Object.entries(report.exitStatusByModel).map(([model, counts]) => [model, ...statuses.map((s) => String(counts[s] ?? 0))]),
      ['Total', ...statuses.map((s) => String(report.exitStatusCounts[s]))],
    ],
  };
  return { setup: setupTable(report), scores, aup, cost, exits };
}

function summaryLine(report: SweepReport): string {
  const c = report.counts;
  const budget = report.budgetUsd !== undefined ? ` of a $${report.budgetUsd.toFixed(2)} budget` : '';
  return `${c.total} cell(s): ${c.completed} completed, ${c.failed} failed, ${c.running} running, ${c.pending} not started; spent ${fmtUsd(report.totalCostUsd)}${budget}.`;
}

export function renderReportMarkdown(report: SweepReport): string {
  const t = tables(report);
  const parts = [
    `# Sweep report: ${report.sweepId}`,
    `Outcome: **${report.outcome}**. Generated ${report.generatedAt}.`,
    summaryLine(report),
    ...(t.setup ? [`## Setup`, `Scores from different scales or conditions do not compare.`, mdTable(t.setup.header, t.setup.rows)] : []),
    `## Scores per task`,
    `Best attempt: the best priority metric over all validate/submit evaluations of all runs. Best submission: the best over runs of each run's final evaluation. ↑ higher is better, ↓ lower is better; an empty cell is a method with no usable run.`,
    mdTable(t.scores.header, t.scores.rows),
    `## AUP (performance profiles, eps = ${report.aup?.eps ?? 0.05})`,
    t.aup ? mdTable(t.aup.header, t.aup.rows) : `Not computed: ${report.aupError ?? 'no data'}.`,
    ...(report.aup ? [`log10(tau) from 0 to ${report.aup.logTauMax} on ${report.aup.points} points; the profile plots are in report.html.`] : []),
    `## Cost per model`,
    mdTable(t.cost.header, t.cost.rows),
    `## Exit statuses`,
    mdTable(t.exits.header, t.exits.rows),
  ];
  return `${parts.join('\n\n')}\n`;
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function htmlTable(id: string, header: string[], rows: string[][], numericFrom = 1): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((cell, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

const PALETTE = ['#444444', '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
const DASHES = ['6 4', '', '', '', '', '', '', '', '', ''];

/** One performance-profile plot: x = log10(tau), y = fraction of tasks, a step line per method, a legend. */
export function profileSvg(id: string, title: string, set: ScoreSetResult, methods: string[], grid: number[], logTauMax: number): string {
  const width = 640;
  const height = 380;
  const m = { left: 56, right: 170, top: 34, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xMax = logTauMax > 0 ? logTauMax : 1;
  const x = (t: number) => m.left + (t / xMax) * plotW;
  const y = (f: number) => m.top + (1 - f) * plotH;
  const n = (v: number) => v.toFixed(2);
  const parts: string[] = [];
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>`);
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${n(y(f))}" y2="${n(y(f))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${n(y(f) + 4)}" text-anchor="end" font-size="11">${f}</text>`);
  }
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const t = (xMax * i) / ticks;
    parts.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#999"/>`);
    parts.push(`<text x="${n(x(t))}" y="${m.top + plotH + 17}" text-anchor="middle" font-size="11">${Number(t.toFixed(2))}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle" font-size="12">log10(τ)</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">fraction of tasks</text>`);
  parts.push(`<text x="${m.left}" y="20" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`);
  methods.forEach((method, i) => {
    const profile = set.profiles[method] ?? [];
    // A step line: horizontal to the next grid point, then vertical; only the corners are kept.
    const points: string[] = [];
    let previous: number | undefined;
    grid.forEach((t, j) => {
      const f = profile[j] ?? 0;
      if (previous === undefined) points.push(`${n(x(t))},${n(y(f))}`);
      else if (f !== previous) points.push(`${n(x(t))},${n(y(previous))}`, `${n(x(t))},${n(y(f))}`);
      previous = f;
    });
    if (grid.length) points.push(`${n(x(grid[grid.length - 1]))},${n(y(previous ?? 0))}`);
    const color = PALETTE[i % PALETTE.length];
    const dash = DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : '';
    parts.push(
      `<polyline class="profile" data-method="${escapeHtml(method)}" fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.join(' ')}"/>`,
    );
    const ly = m.top + 8 + i * 20;
    const lx = m.left + plotW + 14;
    parts.push(
      `<g class="legend-item" data-method="${escapeHtml(method)}"><line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/><text x="${lx + 28}" y="${ly + 4}" font-size="12">${escapeHtml(method)} (${fmtAup(set.aup[method] ?? 0)})</text></g>`,
    );
  });
  return `<svg id="${id}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .6rem}
th{background:#f3f3f3;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.88rem}.plots{display:flex;flex-wrap:wrap;gap:1rem}`;

export function renderReportHtml(report: SweepReport): string {
  const t = tables(report);
  const plots = report.aup
    ? [
        profileSvg(
          'profile-best-attempt',
          'Best attempt: performance profiles',
          report.aup.bestAttempt,
          report.aup.methods,
          report.aup.logTauGrid,
          report.aup.logTauMax,
        ),
        profileSvg(
          'profile-best-submission',
          'Best submission: performance profiles',
          report.aup.bestSubmission,
          report.aup.methods,
          report.aup.logTauGrid,
          report.aup.logTauMax,
        ),
      ]
    : [];
  const body = [
    `<h1>Sweep report: ${escapeHtml(report.sweepId)}</h1>`,
    `<p>Outcome: <strong id="outcome">${escapeHtml(report.outcome)}</strong>. Generated ${escapeHtml(report.generatedAt)}.</p>`,
    `<p>${escapeHtml(summaryLine(report))}</p>`,
    ...(t.setup ? [`<h2>Setup</h2>`, htmlTable('setup', t.setup.header, t.setup.rows, 3)] : []),
    `<h2>Scores per task</h2>`,
    `<p class="note">Best attempt: the best priority metric over all validate/submit evaluations of all runs. Best submission: the best over runs of each run's final evaluation. ↑ higher is better, ↓ lower is better; an empty cell is a method with no usable run.</p>`,
    htmlTable('scores', t.scores.header, t.scores.rows, 2),
    `<h2>AUP</h2>`,
    t.aup
      ? `${htmlTable('aup', t.aup.header, t.aup.rows)}\n<p class="note">MLGym's method: eps = ${report.aup?.eps}, log10(τ) from 0 to ${report.aup?.logTauMax} on ${report.aup?.points} points, AUP = left Riemann sum.</p>`
      : `<p id="aup-missing">Not computed: ${escapeHtml(report.aupError ?? 'no data')}.</p>`,
    `<h2>Performance profiles</h2>`,
    `<div class="plots">${plots.join('\n')}</div>`,
    `<h2>Cost per model</h2>`,
    htmlTable('cost', t.cost.header, t.cost.rows, 2),
    `<h2>Exit statuses</h2>`,
    htmlTable('exit-statuses', t.exits.header, t.exits.rows),
  ];
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Sweep report: ${escapeHtml(report.sweepId)}</title><style>${CSS}</style></head>\n<body>\n${body.join('\n')}\n</body></html>\n`;
}

/** The three files of a report, by file name. */
export function renderReportFiles(report: SweepReport): Record<'report.json' | 'report.md' | 'report.html', string> {
  return { 'report.json': renderReportJson(report), 'report.md': renderReportMarkdown(report), 'report.html': renderReportHtml(report) };
}

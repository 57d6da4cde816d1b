import type { ReplayReport } from './mlgym-replay';
import type { RunVerdict } from './mlgym-verdict';

/**
 * The replay of MLGym's published runs as text: one table row per run (`obs diffs`: steps whose
 * observation differs from MLGym's), the count that matches, for every miss why and where our
 * observations first left MLGym's, the starter files rebuilt from the runs' own views, where our
 * episodes' artifacts are, and the time the evaluations took.
 */

const score = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(4));

function row(v: RunVerdict): string[] {
  return [
    v.label,
    v.recorded.exitStatus || '(none)',
    v.ours.ended === 'finished' ? v.ours.exitStatus : `(${v.ours.ended})`,
    score(v.recorded.score),
    score(v.ours.ended === 'finished' ? v.ours.score : undefined),
    v.delta === undefined ? '-' : `${v.delta >= 0 ? '+' : ''}${v.delta.toFixed(4)}`,
    v.match ? 'match' : 'MISS',
    String(v.divergences.length),
    v.seconds.toFixed(0),
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function formatReplayReport(report: ReplayReport): string {
  const { verdicts } = report;
  const lines = table(['run', 'recorded exit', 'ours', 'recorded score', 'ours', 'delta', 'verdict', 'obs diffs', 'seconds'], verdicts.map(row));
  lines.push(
    '',
    `${report.matched} of ${report.total} match (exit status equal, final score within ${[...new Set(verdicts.map((v) => `${v.tolerance} ${v.metric}`))].join(' / ')}) in ${report.seconds.toFixed(0)} s`,
  );

  const misses = verdicts.filter((v) => !v.match);
  if (misses.length) lines.push('', 'Misses:');
  for (const v of misses) {
    lines.push(`- ${v.label}: ${v.why.join('; ')}`);
    if (v.episodeId) lines.push(`    our episode: ${v.episodeId}`);
    if (v.divergences.length === 0) continue;
    lines.push(`    observations differ at step(s) ${v.divergences.map((d) => d.step).join(', ')}; the first two:`);
    for (const d of v.divergences.slice(0, 2)) {
      lines.push(`      step ${d.step} \`${d.action}\``, `        MLGym: ${JSON.stringify(d.recorded)}`, `        ours:  ${JSON.stringify(d.ours)}`);
    }
  }

  const rebuilt = verdicts.filter((v) => v.rebuilt.length);
  lines.push('', "Starter files rebuilt from the run's own first `open` (they differ from the checkout's):");
  if (rebuilt.length === 0) lines.push('  none');
  for (const v of rebuilt) lines.push(`  ${v.label}: ${v.rebuilt.map((f) => `${f.name} (${f.reason})`).join(', ')}`);

  lines.push('', `Our episodes' trajectories, outputs and results: ${report.artifactsDir}/episodes/<episode>/`);

  const times = verdicts.flatMap((v) => v.evaluationSeconds);
  if (times.length) {
    const byTask = [...new Set(verdicts.map((v) => v.task))].map((task) => {
      const t = verdicts.filter((v) => v.task === task).flatMap((v) => v.evaluationSeconds);
      return t.length ? `${task} ${mean(t).toFixed(1)} s (${t.length})` : `${task} -`;
    });
    lines.push(
      '',
      `Evaluations (validate and submit): ${times.length}, mean ${mean(times).toFixed(1)} s, max ${Math.max(...times).toFixed(1)} s; by task: ${byTask.join(', ')}`,
    );
  }
  return lines.join('\n');
}

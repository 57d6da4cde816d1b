/**
 * The headline metric over the episode: every step that evaluated, validate and submit drawn
 * apart, against the baseline. Inline SVG, so it needs no chart library and prints as it shows.
 */
import { memo, useMemo } from 'react';
import type { MetricView, StepView } from '../../../shared/api';
import { formatScore } from '../format';

interface Props {
  steps: StepView[];
  metrics: MetricView[];
  baseline?: number;
  /** The x axis runs to the last step or the step limit, whichever is known and larger. */
  maxSteps?: number;
  onSelect: (step: number) => void;
}

const W = 760;
const H = 200;
const PAD = { left: 60, right: 16, top: 14, bottom: 30 };

interface Point {
  step: number;
  value: number;
  kind: 'validate' | 'submit';
  split?: string;
}

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export const ScoreTimeline = memo(function ScoreTimeline({ steps, metrics, baseline, maxSteps, onSelect }: Props) {
  const metric = metrics[0];
  const points = useMemo(() => {
    const out: Point[] = [];
    if (!metric) return out;
    for (const s of steps) {
      const value = s.evaluation?.metrics[metric.name];
      if (s.evaluation && typeof value === 'number' && Number.isFinite(value))
        out.push({ step: s.step, value, kind: s.evaluation.kind, split: s.evaluation.split });
    }
    return out;
  }, [steps, metric]);

  const direction = metric ? (metric.higherIsBetter ? 'higher is better' : 'lower is better') : '';
  const title = metric ? `${metric.name} (${direction})` : 'Score';

  if (!metric || points.length === 0) {
    return (
      <section className="timeline timeline-empty" data-testid="score-timeline">
        <h2>{title}</h2>
        <p className="muted">
          {metric ? 'No evaluation yet: the timeline starts at the first validate or submit.' : 'This episode names no metric.'}
          {baseline !== undefined && ` Baseline: ${formatScore(baseline)}.`}
        </p>
      </section>
    );
  }

  const lastStep = steps.length ? steps[steps.length - 1].step : 1;
  const xMax = Math.max(lastStep, maxSteps ?? 0, ...points.map((p) => p.step), 1);
  const values = points.map((p) => p.value).concat(baseline !== undefined ? [baseline] : []);
  let yLo = Math.min(...values);
  let yHi = Math.max(...values);
  // A flat series still needs a band to sit in.
  const margin = yHi > yLo ? (yHi - yLo) * 0.08 : Math.abs(yHi) * 0.1 || 1;
  yLo -= margin;
  yHi += margin;

  const x = (step: number) => PAD.left + (step / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - yLo) / (yHi - yLo)) * (H - PAD.top - PAD.bottom);
  const yTicks = ticks(yLo, yHi, 4);
  const xTicks = ticks(0, xMax, 6).filter((t) => Number.isInteger(t));
  const best = points.reduce((b, p) => ((metric.higherIsBetter ? p.value > b.value : p.value < b.value) ? p : b), points[0]);

  return (
    <section className="timeline" data-testid="score-timeline">
      <h2>
        {title}
        <span className="muted timeline-best">
          best {formatScore(best.value)} at step {best.step}
          {baseline !== undefined && ` · baseline ${formatScore(baseline)}`}
        </span>
      </h2>
      <svg viewBox={`0 0 ${W} ${H}`} className="timeline-svg" role="img" aria-label={`${title} by step`}>
        {yTicks.map((t) => (
          <g key={`y${t}`} className="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t)} textAnchor="end" dominantBaseline="middle">
              {formatScore(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} className="axis-label" x={x(t)} y={H - PAD.bottom + 16} textAnchor="middle">
            {t}
          </text>
        ))}
        <text className="axis-label" x={W - PAD.right} y={H - 2} textAnchor="end">
          step
        </text>
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
        {baseline !== undefined && (
          <g className="baseline">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(baseline)} y2={y(baseline)} />
            <text x={W - PAD.right - 4} y={y(baseline) - 4} textAnchor="end">
              baseline
            </text>
          </g>
        )}
        <polyline className="trend" points={points.map((p) => `${x(p.step)},${y(p.value)}`).join(' ')} />
        {points.map((p) => (
          <g key={p.step} className={`point point-${p.kind}`} data-testid="score-point" data-step={p.step} data-kind={p.kind} onClick={() => onSelect(p.step)}>
            <title>{`step ${p.step} · ${p.kind}${p.split ? ` (${p.split})` : ''} · ${metric.name} ${formatScore(p.value)}`}</title>
            {p.kind === 'submit' ? (
              <rect x={x(p.step) - 5} y={y(p.value) - 5} width={10} height={10} transform={`rotate(45 ${x(p.step)} ${y(p.value)})`} />
            ) : (
              <circle cx={x(p.step)} cy={y(p.value)} r={4.5} />
            )}
          </g>
        ))}
      </svg>
      <p className="timeline-legend muted">
        <span className="legend-validate">○ validate</span>
        <span className="legend-submit">◆ submit</span>
        {baseline !== undefined && <span className="legend-baseline">- - baseline</span>}
        <span>{direction}</span>
      </p>
    </section>
  );
});

/**
 * `#/sweeps/:id/compare?a=<key>&b=<key>`: two models of a sweep, task by task: best attempt and best
 * submission of each and B − A, coloured by the better side given the metric's direction; then their
 * AUP. Refreshed with the sweep while it runs.
 */
import { memo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { SweepTask, SweepView } from '../../../shared/api';
import { CompareModelsForm } from '../components/CompareModelsForm';
import { ErrorMessage } from '../components/ErrorMessage';
import { DASH, formatScore } from '../format';
import { useSweep } from '../hooks/useSweep';
import { useTitle } from '../hooks/useTitle';

type Side = 'a' | 'b' | 'tie';

/** Which side is better, B − A read with the direction (`max`: higher is better). */
function better(a: number | null | undefined, b: number | null | undefined, direction: 'max' | 'min'): Side | undefined {
  if (a == null || b == null) return undefined;
  if (a === b) return 'tie';
  return b > a === (direction === 'max') ? 'b' : 'a';
}

function signed(d: number): string {
  return d > 0 ? `+${formatScore(d)}` : formatScore(d);
}

function Delta({ a, b, direction }: { a: number | null | undefined; b: number | null | undefined; direction: 'max' | 'min' }) {
  const side = better(a, b, direction);
  if (side === undefined || a == null || b == null) return <td className="num delta">{DASH}</td>;
  return (
    <td className={`num delta better-${side}`} title={side === 'tie' ? 'equal' : `${side.toUpperCase()} is better`}>
      {signed(b - a)}
    </td>
  );
}

function Value({ v, win }: { v: number | null | undefined; win: boolean }) {
  return <td className="num">{v == null ? DASH : win ? <b>{formatScore(v)}</b> : formatScore(v)}</td>;
}

const TaskRow = memo(function TaskRow({ task: t, a, b }: { task: SweepTask; a: string; b: string }) {
  const ma = t.models[a];
  const mb = t.models[b];
  const att = better(ma?.bestAttempt, mb?.bestAttempt, t.direction);
  const sub = better(ma?.bestSubmission, mb?.bestSubmission, t.direction);
  const runs = (m: typeof ma) => (m ? `${m.completedRuns}/${m.runs}` : DASH);
  return (
    <tr data-testid="compare-task-row" data-task={t.task}>
      <th scope="row" title={t.task}>
        {t.name ?? t.task}
      </th>
      <td>{t.metric}</td>
      <td title={t.direction === 'max' ? 'higher is better' : 'lower is better'}>{t.direction === 'max' ? '↑ max' : '↓ min'}</td>
      <td className="num" title={t.baselineSource}>
        {t.baseline == null ? DASH : formatScore(t.baseline)}
      </td>
      <Value v={ma?.bestAttempt} win={att === 'a'} />
      <Value v={mb?.bestAttempt} win={att === 'b'} />
      <Delta a={ma?.bestAttempt} b={mb?.bestAttempt} direction={t.direction} />
      <Value v={ma?.bestSubmission} win={sub === 'a'} />
      <Value v={mb?.bestSubmission} win={sub === 'b'} />
      <Delta a={ma?.bestSubmission} b={mb?.bestSubmission} direction={t.direction} />
      <td className="num muted">{runs(ma)}</td>
      <td className="num muted">{runs(mb)}</td>
    </tr>
  );
});

/** "B better on n of m tasks": the tasks where both have a value. */
function tally(tasks: SweepTask[], a: string, b: string, field: 'bestAttempt' | 'bestSubmission') {
  const t = { a: 0, b: 0, tie: 0 };
  for (const task of tasks) {
    const side = better(task.models[a]?.[field], task.models[b]?.[field], task.direction);
    if (side) t[side]++;
  }
  return t;
}

function AupCompare({ view, a, b }: { view: SweepView; a: string; b: string }) {
  if (view.aup === null) return <p className="notice">No AUP yet{view.aupError ? `: ${view.aupError}` : '.'}</p>;
  const ra = view.aup.find((r) => r.method === a);
  const rb = view.aup.find((r) => r.method === b);
  // AUP is an area under a performance profile: higher is better.
  const row = (label: string, field: 'bestAttemptAup' | 'bestSubmissionAup') => {
    const va = ra?.[field];
    const vb = rb?.[field];
    const side = better(va, vb, 'max');
    return (
      <tr data-aup={field}>
        <th scope="row">{label}</th>
        <Value v={va} win={side === 'a'} />
        <Value v={vb} win={side === 'b'} />
        <Delta a={va} b={vb} direction="max" />
      </tr>
    );
  };
  return (
    <table className="run-table compare-aup" data-testid="compare-aup">
      <thead>
        <tr>
          <th>AUP</th>
          <th className="num side-a">A · {a}</th>
          <th className="num side-b">B · {b}</th>
          <th className="num">B − A</th>
        </tr>
      </thead>
      <tbody>
        {row('Best attempt', 'bestAttemptAup')}
        {row('Best submission', 'bestSubmissionAup')}
      </tbody>
    </table>
  );
}

/** A new sweep id is a new page (its own polling); new keys `a`, `b` are the same page. */
export function ModelCompareRoute() {
  const { id = '' } = useParams();
  return <ModelComparePage key={id} id={id} />;
}

function ModelComparePage({ id }: { id: string }) {
  const [params] = useSearchParams();
  const a = params.get('a') ?? '';
  const b = params.get('b') ?? '';
  const { view, error, reload } = useSweep(id);
  useTitle(`${a || '?'} vs ${b || '?'} · sweep ${id} · mlgym ui`);

  if (!view) {
    if (error) return <ErrorMessage title={`Sweep ${id} could not be loaded`} message={error} onRetry={reload} />;
    return <p className="muted loading">Loading sweep {id}…</p>;
  }

  const keys = view.models.map((m) => m.key);
  const unknown = [a, b].filter((k) => !keys.includes(k));
  const modelOf = new Map(view.models.map((m) => [m.key, m.model]));
  const att = tally(view.tasks, a, b, 'bestAttempt');
  const sub = tally(view.tasks, a, b, 'bestSubmission');
  return (
    <section className="model-compare-page">
      <div className="page-head">
        <h1>
          {a || '?'} <span className="muted">vs</span> {b || '?'}
        </h1>
        <Link to={`/sweeps/${encodeURIComponent(view.sweepId)}`} className="mono">
          ← sweep {view.sweepId}
        </Link>
      </div>
      <CompareModelsForm key={`${a}\u0000${b}`} sweepId={view.sweepId} models={view.models} a={a} b={b} />
      {error && <p className="notice">The sweep could not be refreshed: {error}</p>}
      {unknown.length > 0 ? (
        <ErrorMessage
          title={!a || !b ? 'Choose two models' : `No model ${unknown.map((k) => `"${k}"`).join(' or ')} in this sweep`}
          message={`This sweep's model keys: ${keys.join(', ') || 'none'}.`}
        />
      ) : (
        <>
          <p className="compare-legend">
            <span className="side-a">
              A = <b>{a}</b> ({modelOf.get(a)})
            </span>{' '}
            ·{' '}
            <span className="side-b">
              B = <b>{b}</b> ({modelOf.get(b)})
            </span>{' '}
            · <span className="muted">B − A is coloured by the better side, given each metric&apos;s direction.</span>
          </p>
          <p className="muted" data-testid="compare-tally">
            Best attempt: A better on {att.a}, B on {att.b}, equal on {att.tie} task{att.tie === 1 ? '' : 's'}. Best submission: A better on {sub.a}, B on{' '}
            {sub.b}, equal on {sub.tie}.
          </p>
          <div className="table-wrap">
            <table className="run-table model-compare" data-testid="model-compare">
              <thead>
                <tr>
                  <th rowSpan={2}>Task</th>
                  <th rowSpan={2}>Metric</th>
                  <th rowSpan={2}>Direction</th>
                  <th rowSpan={2} className="num">
                    Baseline
                  </th>
                  <th colSpan={3} className="group">
                    Best attempt
                  </th>
                  <th colSpan={3} className="group">
                    Best submission
                  </th>
                  <th colSpan={2} className="group">
                    Runs completed
                  </th>
                </tr>
                <tr>
                  <th className="num side-a">A</th>
                  <th className="num side-b">B</th>
                  <th className="num">B − A</th>
                  <th className="num side-a">A</th>
                  <th className="num side-b">B</th>
                  <th className="num">B − A</th>
                  <th className="num side-a">A</th>
                  <th className="num side-b">B</th>
                </tr>
              </thead>
              <tbody>
                {view.tasks.map((t) => (
                  <TaskRow key={t.task} task={t} a={a} b={b} />
                ))}
                {view.tasks.length === 0 && (
                  <tr className="empty">
                    <td colSpan={12}>The sweep has no task yet.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <h2 className="section-gap">AUP</h2>
          <AupCompare view={view} a={a} b={b} />
        </>
      )}
    </section>
  );
}

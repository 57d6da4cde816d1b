/**
 * `#/compare?a=<ref>&b=<ref>`: two episodes side by side, step by step (a reference is our episode's
 * id or `mlgym:<folder>`, see episodeRef.ts). Two 1,000-step episodes make 2,000 cards: they are the
 * memoised StepCards in their compact form, a row re-renders only when one of its two cards changes,
 * and rows off screen are skipped by the browser's layout (`content-visibility` in the CSS).
 */
import { memo, useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { StepView } from '../../../shared/api';
import { CompareHead } from '../components/CompareHead';
import { ErrorMessage } from '../components/ErrorMessage';
import { StepCard } from '../components/StepCard';
import { parseRef } from '../episodeRef';
import { useEpisode, type EpisodeState } from '../hooks/useEpisode';
import { useTitle } from '../hooks/useTitle';

const NO_STEPS: StepView[] = [];
const ignore = () => undefined;

interface StepRow {
  step: number;
  a?: StepView;
  b?: StepView;
}

/** Both step lists (each in step order) merged by step number; a step only one side has leaves the other's cell empty. */
function stepRows(a: StepView[], b: StepView[]): StepRow[] {
  const rows: StepRow[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.step < y.step)) rows.push({ step: x.step, a: a[i++] });
    else if (x === undefined || y.step < x.step) rows.push({ step: y.step, b: b[j++] });
    else rows.push({ step: x.step, a: a[i++], b: b[j++] });
  }
  return rows;
}

function useToggleSet() {
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const toggle = useCallback((step: number) => {
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(step)) next.add(step);
      return next;
    });
  }, []);
  const clear = useCallback(() => setOpen(new Set()), []);
  return { open, toggle, clear };
}

interface RowProps {
  step: number;
  a?: StepView;
  b?: StepView;
  refA: string;
  refB: string;
  openA: boolean;
  openB: boolean;
  toggleA: (step: number) => void;
  toggleB: (step: number) => void;
}

const Cell = ({ s, episodeRef, open, toggle, step }: { s?: StepView; episodeRef: string; open: boolean; toggle: (step: number) => void; step: number }) =>
  s ? (
    <StepCard step={s} episodeId={episodeRef} expanded={open} focused={false} needle="" activeMatch={-1} onToggle={toggle} onFocus={ignore} compact />
  ) : (
    <div className="compare-empty muted">no step {step}</div>
  );

const CompareStepRow = memo(function CompareStepRow({ step, a, b, refA, refB, openA, openB, toggleA, toggleB }: RowProps) {
  return (
    <div className="compare-step-row" data-testid="compare-step-row" data-step={step}>
      <Cell s={a} episodeRef={refA} open={openA} toggle={toggleA} step={step} />
      <Cell s={b} episodeRef={refB} open={openB} toggle={toggleB} step={step} />
    </div>
  );
});

function Side({ side, episodeRef, state }: { side: 'A' | 'B'; episodeRef: string; state: EpisodeState }) {
  const r = parseRef(episodeRef);
  const name = r.source === 'mlgym' ? `MLGym run ${r.folder}` : `Episode ${r.id}`;
  if (!state.view) {
    if (state.error) return <ErrorMessage title={`${side}: ${name} could not be loaded`} message={state.error} onRetry={state.reload} />;
    return (
      <p className="muted loading">
        {side}: loading {name}…
      </p>
    );
  }
  return <CompareHead side={side} episodeRef={episodeRef} view={state.view} live={state.live} />;
}

export function EpisodeComparePage() {
  const [params] = useSearchParams();
  const a = params.get('a') ?? '';
  const b = params.get('b') ?? '';
  if (!a || !b)
    return (
      <ErrorMessage
        title="Two episodes are needed"
        message="Open #/compare?a=<episode id>&b=<episode id> (an MLGym run as mlgym:<folder>), or check two runs in the run list and press Compare."
      />
    );
  // A new pair is a new page: no opened card carries over.
  return <EpisodeCompare key={`${a}\u0000${b}`} a={a} b={b} />;
}

function EpisodeCompare({ a, b }: { a: string; b: string }) {
  const A = useEpisode(a);
  const B = useEpisode(b);
  const title = (s: EpisodeState, ref: string) => (s.view ? `${s.view.summary.model}` : ref);
  useTitle(`${title(A, a)} vs ${title(B, b)} · mlgym ui`);
  const stepsA = A.view?.steps ?? NO_STEPS;
  const stepsB = B.view?.steps ?? NO_STEPS;
  const rows = useMemo(() => stepRows(stepsA, stepsB), [stepsA, stepsB]);
  const openA = useToggleSet();
  const openB = useToggleSet();
  const collapseAll = () => {
    openA.clear();
    openB.clear();
  };

  return (
    <section className="episode-compare" data-testid="episode-compare">
      <div className="compare-grid compare-heads">
        <Side side="A" episodeRef={a} state={A} />
        <Side side="B" episodeRef={b} state={B} />
      </div>
      <div className="transcript-toolbar compare-toolbar">
        <span className="muted">
          {rows.length} step row{rows.length === 1 ? '' : 's'} · A {stepsA.length}, B {stepsB.length} steps
        </span>
        <button type="button" onClick={collapseAll} disabled={openA.open.size + openB.open.size === 0}>
          Collapse all
        </button>
      </div>
      <div className="compare-steps">
        {rows.map((r) => (
          <CompareStepRow
            key={r.step}
            step={r.step}
            a={r.a}
            b={r.b}
            refA={a}
            refB={b}
            openA={openA.open.has(r.step)}
            openB={openB.open.has(r.step)}
            toggleA={openA.toggle}
            toggleB={openB.toggle}
          />
        ))}
        {rows.length === 0 && (A.view || B.view) && <p className="muted">Neither episode has a step yet.</p>}
      </div>
    </section>
  );
}

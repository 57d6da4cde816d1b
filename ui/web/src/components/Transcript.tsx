/**
 * The episode's steps as cards, with what acts on them: expand/collapse, raw JSON, the search and
 * the keyboard. The cards are memoised; this component hands each one booleans and its own matches
 * only, so a focus move or a search re-renders the few cards concerned, not a thousand.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { EpisodeView } from '../../../shared/api';
import { useStepKeys } from '../hooks/useStepKeys';
import { useTranscriptSearch } from '../hooks/useTranscriptSearch';
import { StepCard } from './StepCard';
import { TranscriptToolbar } from './TranscriptToolbar';

const SEARCH_DEBOUNCE_MS = 150;

function cardOf(step: number): HTMLElement | null {
  return document.getElementById(`step-${step}`);
}

/** Scrolls only when the card is not already in full view: j/k through short cards should not jump the page. */
function reveal(step: number): void {
  const el = cardOf(step);
  if (!el) return;
  const r = el.getBoundingClientRect();
  const toolbar = document.querySelector('.transcript-toolbar')?.getBoundingClientRect().bottom ?? 0;
  if (r.top < toolbar || r.bottom > window.innerHeight) el.scrollIntoView({ block: 'start' });
}

export function Transcript({ view, episodeId }: { view: EpisodeView; episodeId: string }) {
  const steps = view.steps;
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const [focused, setFocused] = useState<number | undefined>(undefined);
  const [raw, setRaw] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  // The search box's text, and the query the matches are computed for (a pause in typing later).
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onSearch = useCallback((text: string) => {
    setSearch(text);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setQuery(text), SEARCH_DEBOUNCE_MS);
  }, []);

  const { total, byStep, locate } = useTranscriptSearch(steps, query);
  // The current match belongs to its query: a new query starts again at its first match.
  const [pos, setPos] = useState({ query: '', index: 0 });
  const cur = total === 0 ? -1 : pos.query === query ? Math.min(pos.index, total - 1) : 0;
  const active = cur >= 0 ? locate(cur) : undefined;

  const move = useCallback(
    (delta: number) => {
      // Enter right after typing: search what is typed, not what the debounce last saw.
      if (search !== query) {
        clearTimeout(timer.current);
        setQuery(search);
        return;
      }
      if (total === 0) return;
      setPos({ query, index: ((((cur < 0 ? 0 : cur) + delta) % total) + total) % total });
    },
    [search, query, total, cur],
  );
  const onNext = useCallback(() => move(1), [move]);
  const onPrev = useCallback(() => move(-1), [move]);

  // A match inside an observation opens it, once per match reached, so the user can still close it.
  const activeKey = active ? `${query}\u0000${cur}` : undefined;
  const [openedFor, setOpenedFor] = useState<string | undefined>(undefined);
  if (active && activeKey !== openedFor) {
    setOpenedFor(activeKey);
    if (active.field === 'observation' && !expanded.has(active.step)) setExpanded(new Set(expanded).add(active.step));
  }

  useEffect(() => {
    if (activeKey === undefined) return;
    document.querySelector('.transcript mark.current')?.scrollIntoView({ block: 'center' });
  }, [activeKey]);

  const toggle = useCallback((step: number) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(step)) next.add(step);
      return next;
    });
  }, []);
  const expandAll = useCallback(() => setExpanded(new Set(steps.map((s) => s.step))), [steps]);
  const collapseAll = useCallback(() => setExpanded(new Set()), []);
  const onRaw = useCallback(() => setRaw((r) => !r), []);

  const focusAndReveal = useCallback((step: number) => {
    setFocused(step);
    reveal(step);
  }, []);

  const stepNumbers = useMemo(() => steps.map((s) => s.step), [steps]);
  useStepKeys({ enabled: !raw, stepNumbers, focused, focus: focusAndReveal, toggle, searchRef });

  // A deep link (`#/episodes/<id>?step=<n>`) focuses its step and brings it to the top, once it exists.
  const [params] = useSearchParams();
  const linked = Number(params.get('step') ?? NaN);
  const linkedExists = Number.isInteger(linked) && stepNumbers.includes(linked);
  useEffect(() => {
    if (!linkedExists) return;
    setRaw(false);
    setFocused(linked);
    // After the cards above have laid out (the raw view may just have been swapped for them).
    requestAnimationFrame(() => cardOf(linked)?.scrollIntoView({ block: 'start' }));
  }, [linked, linkedExists]);

  const json = useMemo(() => (raw ? JSON.stringify(view, null, 2) : ''), [raw, view]);
  const needle = query.toLowerCase();

  return (
    <section className="transcript">
      <TranscriptToolbar
        search={search}
        onSearch={onSearch}
        current={cur}
        total={total}
        onNext={onNext}
        onPrev={onPrev}
        onExpandAll={expandAll}
        onCollapseAll={collapseAll}
        raw={raw}
        onRaw={onRaw}
        searchRef={searchRef}
      />
      {raw ? (
        <pre className="raw-json" data-testid="raw-json-view">
          {json}
        </pre>
      ) : steps.length === 0 ? (
        <p className="muted">No step yet.</p>
      ) : (
        <div className="steps">
          {steps.map((s) => {
            const m = byStep.get(s.step);
            return (
              <StepCard
                key={s.step}
                step={s}
                episodeId={episodeId}
                expanded={expanded.has(s.step)}
                focused={focused === s.step}
                needle={m ? needle : ''}
                matches={m}
                activeMatch={active?.step === s.step ? active.local : -1}
                onToggle={toggle}
                onFocus={setFocused}
              />
            );
          })}
        </div>
      )}
    </section>
  );
}

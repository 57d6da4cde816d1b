/**
 * The run list's filters live in the hash's query (`#/?model=x&q=y`) so a link opens a filtered
 * list. The inputs keep their own drafts, written to the URL after a pause in typing, so every
 * keystroke is not a request; a change of the URL from elsewhere (back, a link) resets the drafts.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { RunFilters } from '../../../shared/api';

export const FILTER_KEYS = ['task', 'model', 'sweep', 'status', 'host', 'q'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Drafts = Record<FilterKey, string>;

const DEBOUNCE_MS = 250;
const DEFAULT_PAGE_SIZE = 100;
const MAX_Q = 200;

function draftsOf(params: URLSearchParams): Drafts {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as Drafts;
}

/** Only what the contract accepts: empty filters are absent, the search text is capped. */
function filtersOf(drafts: Drafts): RunFilters {
  const filters: RunFilters = {};
  for (const k of FILTER_KEYS) {
    const value = drafts[k].trim();
    if (value) filters[k] = k === 'q' ? value.slice(0, MAX_Q) : value;
  }
  return filters;
}

function pageSizeOf(params: URLSearchParams): number {
  const n = Number(params.get('pageSize'));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : DEFAULT_PAGE_SIZE;
}

export interface RunFilterState {
  drafts: Drafts;
  setDraft: (key: FilterKey, value: string) => void;
  clear: () => void;
  /** The filters in the URL, i.e. those of the list shown. */
  filters: RunFilters;
  pageSize: number;
  /** Changes exactly when the list must be fetched again from page 1. */
  queryKey: string;
}

export function useRunFilters(): RunFilterState {
  const [params, setParams] = useSearchParams();
  const [drafts, setDrafts] = useState<Drafts>(() => draftsOf(params));
  const filters = useMemo(() => filtersOf(draftsOf(params)), [params]);
  const pageSize = pageSizeOf(params);
  const queryKey = JSON.stringify([filters, pageSize]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // What this hook last wrote, to tell its own URL changes from a navigation.
  const written = useRef(JSON.stringify(filters));

  const commit = useCallback(
    (next: Drafts) => {
      const nextFilters = filtersOf(next);
      written.current = JSON.stringify(nextFilters);
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          for (const k of FILTER_KEYS) {
            const value = nextFilters[k];
            if (value) p.set(k, value);
            else p.delete(k);
          }
          return p;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  // The drafts as last typed, for the debounced commit (a state updater must not start timers).
  const latest = useRef(drafts);
  latest.current = drafts;

  const setDraft = useCallback(
    (key: FilterKey, value: string) => {
      const next = { ...latest.current, [key]: value };
      latest.current = next;
      setDrafts(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => commit(next), DEBOUNCE_MS);
    },
    [commit],
  );

  const clear = useCallback(() => {
    clearTimeout(timer.current);
    const empty = draftsOf(new URLSearchParams());
    latest.current = empty;
    setDrafts(empty);
    commit(empty);
  }, [commit]);

  const filtersKey = JSON.stringify(filters);
  useEffect(() => {
    if (filtersKey === written.current) return;
    clearTimeout(timer.current);
    written.current = filtersKey;
    // `params` is read only when its filters changed, which filtersKey says: no dependency on it.
    setDrafts(draftsOf(params));
  }, [filtersKey]);

  useEffect(() => () => clearTimeout(timer.current), []);

  return { drafts, setDraft, clear, filters, pageSize, queryKey };
}

/**
 * One text box kept in the hash's query (`#/sweeps?q=x`), so a link opens the page as it was: the
 * box has its own draft, written to the URL after a pause in typing (one request per pause, not per
 * keystroke); a change of the URL from elsewhere (back, a link) resets the draft. The run list's
 * filters (useRunFilters) do the same over several fields.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

const DEBOUNCE_MS = 250;

export interface QueryParam {
  /** What the box shows. */
  draft: string;
  setDraft: (value: string) => void;
  /** The value in the URL, trimmed: that of the page shown. */
  value: string;
}

export function useQueryParam(name: string, maxLength = 200): QueryParam {
  const [params, setParams] = useSearchParams();
  const value = (params.get(name) ?? '').trim().slice(0, maxLength);
  const [draft, setDraftState] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // What this hook last wrote, to tell its own URL changes from a navigation.
  const written = useRef(value);

  const setDraft = useCallback(
    (next: string) => {
      setDraftState(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        const v = next.trim().slice(0, maxLength);
        written.current = v;
        setParams(
          (prev) => {
            const p = new URLSearchParams(prev);
            if (v) p.set(name, v);
            else p.delete(name);
            return p;
          },
          { replace: true },
        );
      }, DEBOUNCE_MS);
    },
    [name, maxLength, setParams],
  );

  useEffect(() => {
    if (value === written.current) return;
    clearTimeout(timer.current);
    written.current = value;
    setDraftState(value);
  }, [value]);

  useEffect(() => () => clearTimeout(timer.current), []);

  return { draft, setDraft, value };
}

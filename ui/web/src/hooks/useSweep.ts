/**
 * A sweep as its pages show it: fetched once, then again every few seconds while it runs (sweeps
 * have no live stream; one SweepView is a few hundred cells, cheap to send whole). The next fetch
 * starts only after the last one answered, so a slow server is never asked twice at once. A static
 * export (`mlgym ui export`) is read once: its data never moves.
 */
import { useCallback, useEffect, useState } from 'react';
import type { SweepView } from '../../../shared/api';
import { errorText, fetchSweep, isAbort, isStatic } from '../api';

const POLL_MS = 3000;

export interface SweepState {
  view?: SweepView;
  /** Why the sweep could not be loaded, or (with a view) why the last refresh failed. */
  error?: string;
  /** The view is being refreshed every few seconds. */
  polling: boolean;
  reload: () => void;
}

export function useSweep(id: string): SweepState {
  const [view, setView] = useState<SweepView | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [polling, setPolling] = useState(false);
  const [loads, setLoads] = useState(0);
  const reload = useCallback(() => setLoads((n) => n + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Whether the last view seen ran: a failed refresh of a running sweep is retried (the server
    // may be restarting), a failed first load is not (an unknown sweep stays unknown).
    let running = false;
    const load = () => {
      fetchSweep(id, ctrl.signal).then(
        (v) => {
          setView(v);
          setError(undefined);
          running = v.running && !isStatic;
          setPolling(running);
          if (running) timer = setTimeout(load, POLL_MS);
        },
        (e: unknown) => {
          if (isAbort(e)) return;
          setError(errorText(e));
          if (running) timer = setTimeout(load, POLL_MS);
          else setPolling(false);
        },
      );
    };
    load();
    return () => {
      ctrl.abort();
      clearTimeout(timer);
    };
  }, [id, loads]);

  return { view, error, polling, reload };
}

/**
 * A list the server sends in pages (runs, sweeps): page 1 is fetched again whenever the query
 * changes, and "load more" appends the next page. One controller serves both, so a new query also
 * cancels a page being appended to the list it replaces.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText, isAbort } from '../api';

interface Page<Row> {
  rows: Row[];
  total: number;
  nextPage?: string;
}

type FetchPage<Row> = (page: string | undefined, signal: AbortSignal) => Promise<Page<Row>>;

interface PagedListOptions<Row> {
  /** Changes exactly when the list must be fetched again from page 1. */
  key: string;
  /** One page for this render's query; a new function every render is fine, `key` decides. */
  fetchPage: FetchPage<Row>;
  /** What tells rows apart, for a page that overlaps the one before. */
  idOf: (row: Row) => string;
}

interface ListState<Row> extends Page<Row> {
  loading: boolean;
  loadingMore: boolean;
  error?: string;
}

export interface PagedList<Row> extends ListState<Row> {
  loadMore: () => void;
  /** Fetches page 1 again for the same query. */
  reload: () => void;
}

export function usePagedList<Row>({ key, fetchPage, idOf }: PagedListOptions<Row>): PagedList<Row> {
  const [state, setState] = useState<ListState<Row>>({ rows: [], total: 0, loading: true, loadingMore: false });
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const controller = useRef<AbortController | undefined>(undefined);
  // What fetched the list shown, for "load more" (the URL may be a keystroke ahead).
  const shown = useRef(fetchPage);

  useEffect(() => {
    const ctrl = new AbortController();
    controller.current = ctrl;
    setState((s) => ({ ...s, loading: true, loadingMore: false, error: undefined }));
    fetchPage(undefined, ctrl.signal).then(
      (list) => {
        shown.current = fetchPage;
        setState({ rows: list.rows, total: list.total, nextPage: list.nextPage, loading: false, loadingMore: false });
      },
      (e: unknown) => {
        if (!isAbort(e)) setState((s) => ({ ...s, loading: false, error: errorText(e) }));
      },
    );
    return () => ctrl.abort();
    // `key` stands for fetchPage, which is new on every render.
  }, [key, reloads]);

  const loadMore = useCallback(() => {
    const ctrl = controller.current;
    if (!ctrl || !state.nextPage || state.loadingMore) return;
    setState((s) => ({ ...s, loadingMore: true, error: undefined }));
    shown.current(state.nextPage, ctrl.signal).then(
      (list) =>
        setState((s) => {
          // A cursor that overlaps the previous page must not show a row twice.
          const seen = new Set(s.rows.map(idOf));
          const rows = s.rows.concat(list.rows.filter((r) => !seen.has(idOf(r))));
          return { ...s, rows, total: list.total, nextPage: list.nextPage, loadingMore: false };
        }),
      (e: unknown) => {
        if (!isAbort(e)) setState((s) => ({ ...s, loadingMore: false, error: errorText(e) }));
      },
    );
  }, [state.nextPage, state.loadingMore, idOf]);

  return { ...state, loadMore, reload };
}

/** `#/`: the episodes, newest first as the server pages them, filtered by the URL's query. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunRow } from '../../../shared/api';
import { errorText, fetchRuns, isAbort } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { RunFiltersBar } from '../components/RunFiltersBar';
import { RunTable } from '../components/RunTable';
import { useRunFilters } from '../hooks/useRunFilters';
import { useTitle } from '../hooks/useTitle';

interface ListState {
  rows: RunRow[];
  total: number;
  nextPage?: string;
  loading: boolean;
  loadingMore: boolean;
  error?: string;
}

const INITIAL: ListState = { rows: [], total: 0, loading: true, loadingMore: false };

export function RunListPage() {
  useTitle('Runs · mlgym ui');
  const { drafts, setDraft, clear, filters, pageSize, queryKey } = useRunFilters();
  const [state, setState] = useState<ListState>(INITIAL);
  const [reloads, setReloads] = useState(0);
  // Shared by page 1 and "load more", so a change of filters also cancels a page being appended.
  const controller = useRef<AbortController | undefined>(undefined);
  // The filters of the list shown, for "load more" (the URL may be a keystroke ahead).
  const shown = useRef(filters);

  useEffect(() => {
    const ctrl = new AbortController();
    controller.current = ctrl;
    setState((s) => ({ ...s, loading: true, loadingMore: false, error: undefined }));
    const query = filters;
    fetchRuns(query, pageSize, undefined, ctrl.signal).then(
      (list) => {
        shown.current = query;
        setState({ rows: list.rows, total: list.total, nextPage: list.nextPage, loading: false, loadingMore: false });
      },
      (e: unknown) => {
        if (!isAbort(e)) setState((s) => ({ ...s, loading: false, error: errorText(e) }));
      },
    );
    return () => ctrl.abort();
    // queryKey stands for filters and pageSize, whose objects are new on every render.
  }, [queryKey, reloads]);

  const loadMore = useCallback(() => {
    const ctrl = controller.current;
    if (!ctrl || !state.nextPage || state.loadingMore) return;
    setState((s) => ({ ...s, loadingMore: true, error: undefined }));
    fetchRuns(shown.current, pageSize, state.nextPage, ctrl.signal).then(
      (list) =>
        setState((s) => {
          // A cursor that overlaps the previous page must not show a row twice.
          const seen = new Set(s.rows.map((r) => r.episodeId));
          const rows = s.rows.concat(list.rows.filter((r) => !seen.has(r.episodeId)));
          return { ...s, rows, total: list.total, nextPage: list.nextPage, loadingMore: false };
        }),
      (e: unknown) => {
        if (!isAbort(e)) setState((s) => ({ ...s, loadingMore: false, error: errorText(e) }));
      },
    );
  }, [state.nextPage, state.loadingMore, pageSize]);

  const { rows, total, nextPage, loading, loadingMore, error } = state;
  return (
    <section className="run-list-page">
      <div className="page-head">
        <h1>Runs</h1>
        <span className="run-count" data-testid="run-count">
          {rows.length} of {total} episodes
        </span>
        {loading && <span className="muted">loading…</span>}
        <button type="button" className="refresh" onClick={() => setReloads((n) => n + 1)} disabled={loading}>
          Refresh
        </button>
      </div>
      <RunFiltersBar drafts={drafts} setDraft={setDraft} clear={clear} rows={rows} />
      {error && <ErrorMessage title="The run list could not be loaded" message={error} onRetry={() => setReloads((n) => n + 1)} />}
      {!(error && rows.length === 0) && <RunTable rows={rows} emptyText={loading ? 'Loading…' : 'No episode matches these filters.'} />}
      {nextPage && (
        <p className="load-more">
          <button type="button" data-testid="load-more" onClick={loadMore} disabled={loadingMore || loading}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}

/**
 * `#/mlgym`: MLGym's own published runs (`mlgym ui --mlgym-dir`), each a folder read by the server,
 * in the run list's table; rows open `#/mlgym/<folder>`. The list comes whole (one folder of runs),
 * so the filter box works in the page.
 */
import { useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { MlgymRunList } from '../../../shared/api';
import { errorText, fetchMlgymRuns, isAbort } from '../api';
import { CompareBar } from '../components/CompareBar';
import { ErrorMessage } from '../components/ErrorMessage';
import { RunTable } from '../components/RunTable';
import { mlgymHref, mlgymRef } from '../episodeRef';
import { useCompareSelection } from '../hooks/useCompareSelection';
import { useQueryParam } from '../hooks/useQueryParam';
import { useTitle } from '../hooks/useTitle';

export function MlgymListPage() {
  useTitle('MLGym runs · mlgym ui');
  const [list, setList] = useState<MlgymRunList | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const { draft, setDraft } = useQueryParam('filter');
  // Typing stays instant over many rows: the table follows a moment later.
  const needle = useDeferredValue(draft.trim().toLowerCase());
  const compare = useCompareSelection();

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    fetchMlgymRuns(ctrl.signal).then(
      (l) => {
        setList(l);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (isAbort(e)) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [reloads]);

  const all = list?.rows;
  const rows = useMemo(
    () =>
      !all || !needle
        ? (all ?? [])
        : all.filter((r) => r.task.toLowerCase().includes(needle) || r.model.toLowerCase().includes(needle) || r.episodeId.toLowerCase().includes(needle)),
    [all, needle],
  );

  return (
    <section className="mlgym-list-page">
      <div className="page-head">
        <h1>MLGym runs</h1>
        {list && (
          <span className="run-count" data-testid="run-count">
            {rows.length} of {list.rows.length} runs
          </span>
        )}
        {loading && <span className="muted">loading…</span>}
        <CompareBar order={compare.order} clear={compare.clear} refOf={mlgymRef} />
        <button type="button" className="refresh" onClick={reload} disabled={loading}>
          Refresh
        </button>
      </div>
      {list &&
        (list.dir ? (
          <p className="muted" data-testid="mlgym-dir">
            Read from <span className="mono">{list.dir}</span>
          </p>
        ) : (
          <p className="notice" data-testid="mlgym-dir">
            Start the viewer with <code className="mono">mlgym ui --mlgym-dir &lt;folder of MLGym runs&gt;</code> to see MLGym&apos;s runs.
          </p>
        ))}
      {error && <ErrorMessage title="MLGym's runs could not be loaded" message={error} onRetry={reload} />}
      {list && (
        <>
          <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <label className="filter filter-search">
              <span>Filter</span>
              <input type="search" data-testid="mlgym-filter" placeholder="task, model or folder…" value={draft} onChange={(e) => setDraft(e.target.value)} />
            </label>
          </form>
          <RunTable
            rows={rows}
            emptyText={!list.dir ? 'No folder of MLGym runs given.' : list.rows.length === 0 ? 'No MLGym run in this folder.' : 'No run matches this filter.'}
            hrefOf={mlgymHref}
            testId="mlgym-list"
            selected={compare.selected}
            onCheck={compare.toggle}
          />
          {list.skipped.length > 0 && (
            <details className="skipped" data-testid="mlgym-skipped" open={list.skipped.length <= 5}>
              <summary>
                {list.skipped.length} folder{list.skipped.length === 1 ? '' : 's'} skipped
              </summary>
              <ul>
                {list.skipped.map((s) => (
                  <li key={s.folder}>
                    <span className="mono">{s.folder}</span>: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </section>
  );
}

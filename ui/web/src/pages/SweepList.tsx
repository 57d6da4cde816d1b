/** `#/sweeps`: the sweeps, newest first as the server pages them; `?q=` narrows to ids starting with it. */
import type { SweepRow } from '../../../shared/api';
import { fetchSweeps } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { ListHead } from '../components/ListHead';
import { LoadMore } from '../components/LoadMore';
import { SweepTable } from '../components/SweepTable';
import { usePagedList } from '../hooks/usePagedList';
import { useQueryParam } from '../hooks/useQueryParam';
import { useTitle } from '../hooks/useTitle';

const PAGE_SIZE = 100;

const sweepId = (row: SweepRow) => row.workflowId;

export function SweepListPage() {
  useTitle('Sweeps · mlgym ui');
  const { draft, setDraft, value: q } = useQueryParam('q');
  const { rows, total, nextPage, loading, loadingMore, error, loadMore, reload } = usePagedList({
    key: q,
    fetchPage: (page, signal) => fetchSweeps(q || undefined, PAGE_SIZE, page, signal),
    idOf: sweepId,
  });

  return (
    <section className="sweep-list-page">
      <ListHead title="Sweeps" shown={rows.length} total={total} noun="sweeps" countTestId="sweep-count" loading={loading} onRefresh={reload} />
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label className="filter filter-search">
          <span>Search</span>
          <input
            type="search"
            data-testid="sweep-search"
            placeholder="start of the sweep id…"
            value={draft}
            maxLength={200}
            onChange={(e) => setDraft(e.target.value)}
          />
        </label>
      </form>
      {error && <ErrorMessage title="The sweep list could not be loaded" message={error} onRetry={reload} />}
      {!(error && rows.length === 0) && <SweepTable rows={rows} emptyText={loading ? 'Loading…' : q ? `No sweep id starts with "${q}".` : 'No sweep yet.'} />}
      {nextPage && <LoadMore loading={loading} loadingMore={loadingMore} onLoadMore={loadMore} />}
    </section>
  );
}

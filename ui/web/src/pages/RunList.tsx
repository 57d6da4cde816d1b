/** `#/`: the episodes, newest first as the server pages them, filtered by the URL's query. */
import type { RunRow } from '../../../shared/api';
import { fetchRuns } from '../api';
import { CompareBar } from '../components/CompareBar';
import { ErrorMessage } from '../components/ErrorMessage';
import { ListHead } from '../components/ListHead';
import { LoadMore } from '../components/LoadMore';
import { RunFiltersBar } from '../components/RunFiltersBar';
import { RunTable } from '../components/RunTable';
import { useCompareSelection } from '../hooks/useCompareSelection';
import { usePagedList } from '../hooks/usePagedList';
import { useRunFilters } from '../hooks/useRunFilters';
import { useTitle } from '../hooks/useTitle';

const episodeId = (row: RunRow) => row.episodeId;

export function RunListPage() {
  useTitle('Runs · mlgym ui');
  const { drafts, setDraft, clear, filters, pageSize, queryKey } = useRunFilters();
  const { rows, total, nextPage, loading, loadingMore, error, loadMore, reload } = usePagedList({
    key: queryKey,
    fetchPage: (page, signal) => fetchRuns(filters, pageSize, page, signal),
    idOf: episodeId,
  });
  const compare = useCompareSelection();

  return (
    <section className="run-list-page">
      <ListHead title="Runs" shown={rows.length} total={total} noun="episodes" countTestId="run-count" loading={loading} onRefresh={reload}>
        <CompareBar order={compare.order} clear={compare.clear} />
      </ListHead>
      <RunFiltersBar drafts={drafts} setDraft={setDraft} clear={clear} rows={rows} />
      {error && <ErrorMessage title="The run list could not be loaded" message={error} onRetry={reload} />}
      {!(error && rows.length === 0) && (
        <RunTable rows={rows} emptyText={loading ? 'Loading…' : 'No episode matches these filters.'} selected={compare.selected} onCheck={compare.toggle} />
      )}
      {nextPage && <LoadMore loading={loading} loadingMore={loadingMore} onLoadMore={loadMore} />}
    </section>
  );
}

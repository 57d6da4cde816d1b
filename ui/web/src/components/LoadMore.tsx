/** Below a paged list with a next page (usePagedList): the button that appends it. */
interface Props {
  /** Page 1 is being fetched again: the page to append would belong to the list it replaces. */
  loading: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}

export function LoadMore({ loading, loadingMore, onLoadMore }: Props) {
  return (
    <p className="load-more">
      <button type="button" data-testid="load-more" onClick={onLoadMore} disabled={loadingMore || loading}>
        {loadingMore ? 'Loading…' : 'Load more'}
      </button>
    </p>
  );
}

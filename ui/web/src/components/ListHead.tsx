/** The head of a list page: its title, how many rows it shows of how many, and a way to fetch it again. */
import type { ReactNode } from 'react';

interface Props {
  title: string;
  /** The count reads "<shown> of <total> <noun>". */
  shown: number;
  total: number;
  noun: string;
  countTestId: string;
  loading: boolean;
  onRefresh: () => void;
  /** Controls that act on the list, put before the refresh button. */
  children?: ReactNode;
}

export function ListHead({ title, shown, total, noun, countTestId, loading, onRefresh, children }: Props) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      <span className="run-count" data-testid={countTestId}>
        {shown} of {total} {noun}
      </span>
      {loading && <span className="muted">loading…</span>}
      {children}
      <button type="button" className="refresh" onClick={onRefresh} disabled={loading}>
        Refresh
      </button>
    </div>
  );
}

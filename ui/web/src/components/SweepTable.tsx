/** The sweep list's table: one row per sweep workflow, newest first as the server pages them. */
import { memo } from 'react';
import type { SweepRow } from '../../../shared/api';
import { DASH, formatTime } from '../format';

export function sweepHref(id: string): string {
  return `#/sweeps/${encodeURIComponent(id)}`;
}

const Row = memo(function Row({ row }: { row: SweepRow }) {
  return (
    <tr data-testid="sweep-row" data-sweep-id={row.sweepId} className={row.running ? 'running' : undefined}>
      <td>
        <a href={sweepHref(row.sweepId)} className="mono">
          {row.sweepId}
        </a>
      </td>
      <td>{row.running ? <span className="badge badge-running">● {row.status}</span> : <span className="badge">{row.status}</span>}</td>
      <td>
        <time dateTime={row.startedAt}>{formatTime(row.startedAt)}</time>
      </td>
      <td>{row.closedAt ? <time dateTime={row.closedAt}>{formatTime(row.closedAt)}</time> : DASH}</td>
      <td className="mono muted">{row.workflowId}</td>
    </tr>
  );
});

export function SweepTable({ rows, emptyText }: { rows: SweepRow[]; emptyText: string }) {
  return (
    <div className="table-wrap">
      <table className="run-table" data-testid="sweep-list">
        <thead>
          <tr>
            <th>Sweep</th>
            <th>Status</th>
            <th>Started</th>
            <th>Closed</th>
            <th>Workflow</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <Row key={r.workflowId} row={r} />
          ))}
          {rows.length === 0 && (
            <tr className="empty">
              <td colSpan={5}>{emptyText}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

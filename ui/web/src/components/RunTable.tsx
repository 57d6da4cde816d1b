/**
 * The run list's table. Plain rows and no per-row hooks: it must stay fast with 1,000 rows.
 * Sorting is over the rows loaded, in the page, since the server pages in its own order. The same
 * table lists MLGym's runs (rows link elsewhere: `hrefOf`), and may offer a checkbox per row to pick
 * two episodes to compare.
 */
import { memo, useMemo, useState, type ReactNode } from 'react';
import type { RunRow } from '../../../shared/api';
import { DASH, formatCost, formatDuration, formatScore, formatTime } from '../format';

type SortKey =
  | 'episodeId'
  | 'task'
  | 'model'
  | 'sweep'
  | 'status'
  | 'exitStatus'
  | 'bestScore'
  | 'lastScore'
  | 'baseline'
  | 'steps'
  | 'costUsd'
  | 'durationSec'
  | 'host'
  | 'startedAt';

interface Column {
  key: SortKey;
  label: string;
  numeric?: boolean;
  /** `href`: the row's page, from the table's `hrefOf`. */
  cell: (r: RunRow, href: string) => ReactNode;
}

export function episodeHref(id: string): string {
  return `#/episodes/${encodeURIComponent(id)}`;
}

const COLUMNS: Column[] = [
  // A plain anchor rather than <Link>: 1,000 router links cost hooks each, a hash href costs nothing.
  {
    key: 'episodeId',
    label: 'Episode',
    cell: (r, href) => (
      <a href={href} className="mono">
        {r.episodeId}
      </a>
    ),
  },
  { key: 'task', label: 'Task', cell: (r) => r.task },
  { key: 'model', label: 'Model', cell: (r) => r.model },
  { key: 'sweep', label: 'Sweep', cell: (r) => r.sweep ?? DASH },
  {
    key: 'status',
    label: 'Status',
    cell: (r) => (r.running ? <span className="badge badge-running">● {r.status}</span> : <span className="badge">{r.status}</span>),
  },
  { key: 'exitStatus', label: 'Exit status', cell: (r) => r.exitStatus ?? DASH },
  { key: 'bestScore', label: 'Best', numeric: true, cell: (r) => formatScore(r.bestScore) },
  { key: 'lastScore', label: 'Last', numeric: true, cell: (r) => formatScore(r.lastScore) },
  { key: 'baseline', label: 'Baseline', numeric: true, cell: (r) => formatScore(r.baseline) },
  { key: 'steps', label: 'Steps', numeric: true, cell: (r) => r.steps },
  { key: 'costUsd', label: 'Cost', numeric: true, cell: (r) => formatCost(r.costUsd) },
  { key: 'durationSec', label: 'Duration', numeric: true, cell: (r) => formatDuration(r.durationSec) },
  { key: 'host', label: 'Host', cell: (r) => r.host ?? DASH },
  { key: 'startedAt', label: 'Started', cell: (r) => <time dateTime={r.startedAt}>{formatTime(r.startedAt)}</time> },
];

interface Sort {
  key: SortKey;
  dir: 1 | -1;
}

/** Missing values go last in both directions: a blank at the top of "best score" helps nobody. */
function compare(a: RunRow, b: RunRow, { key, dir }: Sort): number {
  const x = a[key];
  const y = b[key];
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
  return String(x).localeCompare(String(y), undefined, { numeric: true }) * dir;
}

interface RowProps {
  row: RunRow;
  hrefOf: (id: string) => string;
  /** Present when the table offers the compare checkboxes. */
  onCheck?: (id: string) => void;
  checked: boolean;
}

const Row = memo(function Row({ row, hrefOf, onCheck, checked }: RowProps) {
  const href = hrefOf(row.episodeId);
  return (
    <tr data-testid="run-row" data-episode-id={row.episodeId} className={row.running ? 'running' : undefined}>
      {onCheck && (
        <td className="check">
          <input
            type="checkbox"
            data-testid="compare-check"
            checked={checked}
            onChange={() => onCheck(row.episodeId)}
            aria-label={`Compare ${row.episodeId}`}
          />
        </td>
      )}
      {COLUMNS.map((c) => (
        <td key={c.key} className={c.numeric ? 'num' : undefined}>
          {c.cell(row, href)}
        </td>
      ))}
    </tr>
  );
});

interface Props {
  rows: RunRow[];
  emptyText: string;
  /** The page a row opens; a module-level function, so the memoised rows keep their props. Our episode page by default. */
  hrefOf?: (id: string) => string;
  testId?: string;
  /** The compare checkboxes: the ids checked, and a stable callback that checks or unchecks one. */
  selected?: ReadonlySet<string>;
  onCheck?: (id: string) => void;
}

export function RunTable({ rows, emptyText, hrefOf = episodeHref, testId = 'run-list', selected, onCheck }: Props) {
  const [sort, setSort] = useState<Sort | undefined>(undefined);
  const sorted = useMemo(() => (sort ? [...rows].sort((a, b) => compare(a, b, sort)) : rows), [rows, sort]);

  const onHeader = (key: SortKey) => setSort((s) => (s?.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: 1 }));

  return (
    <div className="table-wrap">
      <table className="run-table" data-testid={testId}>
        <thead>
          <tr>
            {onCheck && (
              <th className="check" title="Check two episodes, then Compare">
                ⇄
              </th>
            )}
            {COLUMNS.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} className={c.numeric ? 'num' : undefined} aria-sort={active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="sort" onClick={() => onHeader(c.key)}>
                    {c.label}
                    <span className="sort-mark">{active ? (sort.dir === 1 ? '▲' : '▼') : ''}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <Row key={r.episodeId} row={r} hrefOf={hrefOf} onCheck={onCheck} checked={selected?.has(r.episodeId) ?? false} />
          ))}
          {rows.length === 0 && (
            <tr className="empty">
              <td colSpan={COLUMNS.length + (onCheck ? 1 : 0)}>{emptyText}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Every cell of the sweep at a glance: a row per task, a column per model key, and in each a small
 * square per run, coloured by how it stands. Plain anchors and no per-square hooks: 13 tasks x 4
 * models x 5 runs re-render every 3 s while the sweep runs.
 */
import { memo, useMemo } from 'react';
import type { SweepCell, SweepView } from '../../../shared/api';
import { refHref } from '../episodeRef';
import { DASH, formatCost, formatScore } from '../format';
import { cellTone } from '../tone';

interface Props {
  tasks: SweepView['tasks'];
  models: SweepView['models'];
  cells: SweepCell[];
}

const sep = '\u0000';

function tooltip(c: SweepCell): string {
  return [
    `${c.task} · ${c.modelKey} (${c.model}) · run ${c.run}`,
    `state: ${c.state}${c.attempt > 1 ? ` (attempt ${c.attempt})` : ''}`,
    `exit status: ${c.exitStatus ?? DASH}`,
    `best score: ${formatScore(c.bestScore)}`,
    `cost: ${formatCost(c.costUsd)}`,
    ...(c.blockedReason ? [`blocked: ${c.blockedReason}`] : []),
    ...(c.error ? [`error: ${c.error}`] : []),
  ].join('\n');
}

/** Tasks and model keys in the sweep's own order, then any only the cells name; per pair, one cell per run (its latest attempt). */
function layout({ tasks, models, cells }: Props) {
  const taskIds = tasks.map((t) => t.task);
  const keys = models.map((m) => m.key);
  const byPair = new Map<string, Map<number, SweepCell>>();
  for (const c of cells) {
    if (!taskIds.includes(c.task)) taskIds.push(c.task);
    if (!keys.includes(c.modelKey)) keys.push(c.modelKey);
    const pair = `${c.task}${sep}${c.modelKey}`;
    let runs = byPair.get(pair);
    if (!runs) byPair.set(pair, (runs = new Map()));
    const prev = runs.get(c.run);
    if (!prev || c.attempt >= prev.attempt) runs.set(c.run, c);
  }
  const runsOf = (task: string, key: string) => [...(byPair.get(`${task}${sep}${key}`)?.values() ?? [])].sort((a, b) => a.run - b.run);
  return { taskIds, keys, runsOf };
}

function Square({ cell }: { cell: SweepCell }) {
  const common = {
    className: `cell tone-${cellTone(cell)}`,
    title: tooltip(cell),
    'data-testid': 'cell',
    'data-cell-id': cell.id,
    'data-state': cell.state,
  };
  return cell.episodeId ? (
    <a href={refHref(cell.episodeId)} {...common}>
      {cell.run}
    </a>
  ) : (
    <span {...common}>{cell.run}</span>
  );
}

export const CellGrid = memo(function CellGrid({ tasks, models, cells }: Props) {
  const { taskIds, keys, runsOf } = useMemo(() => layout({ tasks, models, cells }), [tasks, models, cells]);
  const names = new Map(tasks.map((t) => [t.task, t.name]));
  const modelOf = new Map(models.map((m) => [m.key, m.model]));
  return (
    <section className="cell-section">
      <h2>Cells</h2>
      <div className="table-wrap">
        <table className="cell-grid" data-testid="cell-grid">
          <thead>
            <tr>
              <th>Task</th>
              {keys.map((k) => (
                <th key={k} title={modelOf.get(k)}>
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {taskIds.map((task) => (
              <tr key={task}>
                <th scope="row" title={task}>
                  {names.get(task) ?? task}
                </th>
                {keys.map((k) => (
                  <td key={k}>
                    <span className="cells">
                      {runsOf(task, k).map((c) => (
                        <Square key={c.id} cell={c} />
                      ))}
                    </span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="cell-legend muted">
        <span className="cell tone-pending" /> pending <span className="cell tone-running" /> running <span className="cell tone-submitted" /> submitted{' '}
        <span className="cell tone-other" /> other exit status <span className="cell tone-failed" /> failed
      </p>
    </section>
  );
});

/** What each model of the sweep cost: over all its episodes and per episode. */
import { memo } from 'react';
import type { SweepView } from '../../../shared/api';
import { formatCost } from '../format';

export const CostByModel = memo(function CostByModel({ rows }: { rows: SweepView['costByModel'] }) {
  return (
    <section className="sweep-table">
      <h2>Cost per model</h2>
      <table className="run-table" data-testid="cost-by-model">
        <thead>
          <tr>
            <th>Key</th>
            <th>Model</th>
            <th className="num">Episodes</th>
            <th className="num">Cost</th>
            <th className="num">Mean cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-model-key={r.key}>
              <td className="mono">{r.key}</td>
              <td>{r.model}</td>
              <td className="num">{r.episodes}</td>
              <td className="num">{formatCost(r.costUsd)}</td>
              <td className="num">{formatCost(r.meanCostUsd)}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr className="empty">
              <td colSpan={5}>No episode has cost anything yet.</td>
            </tr>
          )}
        </tbody>
        {rows.length > 1 && (
          <tfoot>
            <tr>
              <td colSpan={2}>All models</td>
              <td className="num">{rows.reduce((n, r) => n + r.episodes, 0)}</td>
              <td className="num">{formatCost(rows.reduce((n, r) => n + r.costUsd, 0))}</td>
              <td />
            </tr>
          </tfoot>
        )}
      </table>
    </section>
  );
});

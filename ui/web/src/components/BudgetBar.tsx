/** The sweep's spending against its budget, as a plain bar; and why it stopped starting cells, if it did. */
import { memo } from 'react';
import type { SweepView } from '../../../shared/api';
import { formatCost } from '../format';

export const BudgetBar = memo(function BudgetBar({ budget }: { budget: SweepView['budget'] }) {
  const { limitUsd, spentUsd, exhausted, notStarted, message } = budget;
  const fraction = limitUsd !== undefined && limitUsd > 0 ? spentUsd / limitUsd : undefined;
  return (
    <section className={`budget${exhausted ? ' exhausted' : ''}`} data-testid="budget-bar">
      <h2>Budget</h2>
      {limitUsd === undefined ? (
        <p className="budget-line">
          <span className="muted">no budget</span> · spent {formatCost(spentUsd)}
        </p>
      ) : (
        <div className="budget-line">
          <div
            className="bar"
            role="meter"
            aria-label="Budget spent"
            aria-valuemin={0}
            aria-valuemax={limitUsd}
            aria-valuenow={spentUsd}
            title={`${formatCost(spentUsd)} of ${formatCost(limitUsd)}`}
          >
            {/* Capped at the bar's end: an overrun shows in the numbers, not as a bar out of its box. */}
            <div className="bar-fill" style={{ width: `${Math.min(100, (fraction ?? 1) * 100)}%` }} />
          </div>
          <span>
            {formatCost(spentUsd)} of {formatCost(limitUsd)}
            {fraction !== undefined && <span className="muted"> ({Math.round(fraction * 100)}%)</span>}
          </span>
          {exhausted && <span className="badge tone-failed">exhausted</span>}
        </div>
      )}
      {notStarted > 0 && (
        <p className="muted budget-note">
          {notStarted} cell{notStarted === 1 ? '' : 's'} not started
        </p>
      )}
      {message && <p className="notice">{message}</p>}
    </section>
  );
});

/** What the sweep is and where it stands: its workflow, phase and outcome, its cells and its cost. */
import { memo } from 'react';
import type { SweepView } from '../../../shared/api';
import { linkHref } from '../api';
import { DASH, formatCost } from '../format';
import { Fact } from './Fact';
import { TemporalLink } from './TemporalLink';

export const SweepHeader = memo(function SweepHeader({ view, polling }: { view: SweepView; polling: boolean }) {
  const c = view.counts;
  const temporalHref = linkHref(view.temporalUrl);
  return (
    <header className="episode-header sweep-header">
      <div className="episode-title">
        <h1 className="mono" data-testid="sweep-id">
          {view.sweepId}
        </h1>
        <span className={`badge${view.running ? ' badge-running' : ''}`} data-testid="sweep-status">
          {view.workflowStatus}
        </span>
        {polling && (
          <span className="badge badge-live" data-testid="sweep-live" title="Refreshed every 3 seconds while the sweep runs">
            ● live
          </span>
        )}
        <TemporalLink href={temporalHref} />
      </div>
      <p className="episode-id mono">{view.workflowId}</p>
      <dl className="facts">
        <Fact label="Phase">{view.phase ?? DASH}</Fact>
        <Fact label="Outcome" testId="sweep-outcome">
          {view.outcome}
        </Fact>
        <Fact label="Cells" testId="sweep-counts">
          {c.completed} / {c.total} completed
        </Fact>
        <Fact label="Running">{c.running}</Fact>
        <Fact label="Pending">{c.pending}</Fact>
        <Fact label="Failed">{c.failed ? <span className="tone-text-failed">{c.failed}</span> : 0}</Fact>
        <Fact label="Cost" testId="sweep-cost">
          {formatCost(view.costUsd)}
        </Fact>
        <Fact label="Tasks">{view.tasks.length}</Fact>
        <Fact label="Models">{view.models.length}</Fact>
      </dl>
    </header>
  );
});

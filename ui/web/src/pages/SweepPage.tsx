/**
 * `#/sweeps/:id`: one sweep: where it stands, its budget, every cell, how the cells ended, what each
 * model cost, the AUP and the report's performance profiles; refreshed every 3 s while it runs.
 */
import { useParams } from 'react-router';
import { AupTable } from '../components/AupTable';
import { BudgetBar } from '../components/BudgetBar';
import { CellGrid } from '../components/CellGrid';
import { CompareModelsForm } from '../components/CompareModelsForm';
import { CostByModel } from '../components/CostByModel';
import { ErrorMessage } from '../components/ErrorMessage';
import { ExitStatusChips } from '../components/ExitStatusChips';
import { SweepHeader } from '../components/SweepHeader';
import { SweepReport } from '../components/SweepReport';
import { useSweep } from '../hooks/useSweep';
import { useTitle } from '../hooks/useTitle';

/** A new id is a new page: no state (polling, the report's frame) carries over from the last sweep. */
export function SweepRoute() {
  const { id = '' } = useParams();
  return <SweepPage key={id} id={id} />;
}

function SweepPage({ id }: { id: string }) {
  const { view, error, polling, reload } = useSweep(id);
  useTitle(`Sweep ${id} · mlgym ui`);

  if (!view) {
    if (error) return <ErrorMessage title={`Sweep ${id} could not be loaded`} message={error} onRetry={reload} />;
    return <p className="muted loading">Loading sweep {id}…</p>;
  }

  const c = view.counts;
  return (
    <div className="sweep-page">
      <SweepHeader view={view} polling={polling} />
      {error && (
        <p className="notice">
          The sweep could not be refreshed: {error}{' '}
          <button type="button" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      <BudgetBar budget={view.budget} />
      <CellGrid tasks={view.tasks} models={view.models} cells={view.cells} />
      <ExitStatusChips sweepId={view.sweepId} counts={view.exitStatusCounts} byModel={view.exitStatusByModel} />
      <section className="compare-models-section">
        <h2>Compare two models</h2>
        {view.models.length < 2 ? <p className="muted">This sweep has a single model.</p> : <CompareModelsForm sweepId={view.sweepId} models={view.models} />}
      </section>
      <CostByModel rows={view.costByModel} />
      <AupTable aup={view.aup} aupError={view.aupError} models={view.models} />
      <SweepReport url={view.reportUrl} version={`${view.workflowStatus}/${c.completed}/${c.failed}`} />
    </div>
  );
}

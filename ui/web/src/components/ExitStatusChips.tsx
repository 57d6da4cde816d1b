/**
 * How the sweep's cells ended (their latest attempt), one chip per status; a chip opens the run list
 * filtered to this sweep and that status. `not_started` and `failed` cells may have no episode,
 * so their list can be empty: the link is offered anyway, the list says so.
 */
import { memo } from 'react';
import { statusTone } from '../tone';

interface Props {
  sweepId: string;
  counts: Record<string, number>;
  /** Per model key, for the chip's tooltip. */
  byModel: Record<string, Record<string, number>>;
}

export function runListHref(sweep: string, status: string): string {
  return `#/?${new URLSearchParams({ sweep, status }).toString()}`;
}

export const ExitStatusChips = memo(function ExitStatusChips({ sweepId, counts, byModel }: Props) {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return (
    <section className="exit-statuses">
      <h2>Exit statuses</h2>
      {entries.length === 0 ? (
        <p className="muted">No cell yet.</p>
      ) : (
        <p className="chips">
          {entries.map(([status, n]) => {
            const perModel = Object.entries(byModel)
              .filter(([, c]) => c[status])
              .map(([key, c]) => `${key}: ${c[status]}`)
              .join('\n');
            return (
              <a
                key={status}
                className={`chip tone-${statusTone(status)}`}
                href={runListHref(sweepId, status)}
                data-testid="exit-status"
                data-status={status}
                title={`Open the runs of this sweep that are ${status}${perModel ? `\n${perModel}` : ''}`}
              >
                {status} <b>{n}</b>
              </a>
            );
          })}
        </p>
      )}
    </section>
  );
});

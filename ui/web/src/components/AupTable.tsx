/**
 * MLGym's AUP (area under the performance profile) per method: the baseline and each model key,
 * best attempt and best submission; higher is better, the best of each column in bold.
 */
import { memo } from 'react';
import type { SweepView } from '../../../shared/api';
import { formatScore } from '../format';

interface Props {
  aup: SweepView['aup'];
  aupError?: string;
  models: SweepView['models'];
}

export const AupTable = memo(function AupTable({ aup, aupError, models }: Props) {
  const modelOf = new Map(models.map((m) => [m.key, m.model]));
  const best = aup?.length
    ? { attempt: Math.max(...aup.map((r) => r.bestAttemptAup)), submission: Math.max(...aup.map((r) => r.bestSubmissionAup)) }
    : undefined;
  return (
    <section className="sweep-table">
      <h2>AUP</h2>
      {aup === null ? (
        <p className="notice" data-testid="aup-table">
          No AUP yet{aupError ? `: ${aupError}` : '.'}
        </p>
      ) : (
        <table className="run-table" data-testid="aup-table">
          <thead>
            <tr>
              <th>Method</th>
              <th className="num">Best-attempt AUP</th>
              <th className="num">Best-submission AUP</th>
            </tr>
          </thead>
          <tbody>
            {aup.map((r) => (
              <tr key={r.method} data-method={r.method}>
                <td>
                  <span className="mono">{r.method}</span>
                  {modelOf.has(r.method) && <span className="muted"> {modelOf.get(r.method)}</span>}
                </td>
                <td className="num">{r.bestAttemptAup === best?.attempt ? <b>{formatScore(r.bestAttemptAup)}</b> : formatScore(r.bestAttemptAup)}</td>
                <td className="num">
                  {r.bestSubmissionAup === best?.submission ? <b>{formatScore(r.bestSubmissionAup)}</b> : formatScore(r.bestSubmissionAup)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
});

/** Two of the sweep's model keys, then their comparison task by task (`#/sweeps/<id>/compare?a=…&b=…`). */
import { memo, useState } from 'react';
import { useNavigate } from 'react-router';
import type { SweepView } from '../../../shared/api';

interface Props {
  sweepId: string;
  models: SweepView['models'];
  /** The keys selected at first (those compared now, on the comparison page). */
  a?: string;
  b?: string;
}

export const CompareModelsForm = memo(function CompareModelsForm({ sweepId, models, a: a0, b: b0 }: Props) {
  const keys = models.map((m) => m.key);
  const [a, setA] = useState(a0 && keys.includes(a0) ? a0 : (keys[0] ?? ''));
  const [b, setB] = useState(b0 && keys.includes(b0) ? b0 : (keys.find((k) => k !== a) ?? ''));
  const navigate = useNavigate();
  const ok = keys.includes(a) && keys.includes(b) && a !== b;

  const select = (value: string, set: (v: string) => void, testId: string, label: string) => (
    <label className="filter">
      <span>{label}</span>
      <select data-testid={testId} value={value} onChange={(e) => set(e.target.value)}>
        {models.map((m) => (
          <option key={m.key} value={m.key}>
            {m.key} ({m.model})
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form
      className="compare-models filters"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) void navigate({ pathname: `/sweeps/${encodeURIComponent(sweepId)}/compare`, search: `?${new URLSearchParams({ a, b }).toString()}` });
      }}
    >
      {select(a, setA, 'compare-model-a', 'Model A')}
      {select(b, setB, 'compare-model-b', 'Model B')}
      <button type="submit" data-testid="compare-models" disabled={!ok} title={keys.length < 2 ? 'The sweep has a single model' : undefined}>
        Compare models
      </button>
    </form>
  );
});

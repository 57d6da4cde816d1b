import { memo, useMemo } from 'react';
import type { RunRow } from '../../../shared/api';
import type { Drafts, FilterKey } from '../hooks/useRunFilters';

interface Props {
  drafts: Drafts;
  setDraft: (key: FilterKey, value: string) => void;
  clear: () => void;
  /** The rows loaded, whose values the inputs suggest. */
  rows: RunRow[];
}

const FIELDS: { key: Exclude<FilterKey, 'q'>; label: string; placeholder: string }[] = [
  { key: 'task', label: 'Task', placeholder: 'any task' },
  { key: 'model', label: 'Model', placeholder: 'any model' },
  { key: 'sweep', label: 'Sweep', placeholder: 'any sweep' },
  { key: 'status', label: 'Status', placeholder: 'running, submitted…' },
  { key: 'host', label: 'Host', placeholder: 'any host' },
];

// Statuses worth offering before any row is loaded; the rows add the others.
const KNOWN_STATUSES = ['running', 'blocked', 'submitted', 'autosubmission (max_steps)', 'failed'];

function suggestions(rows: RunRow[]): Record<Exclude<FilterKey, 'q'>, string[]> {
  const sets = { task: new Set<string>(), model: new Set<string>(), sweep: new Set<string>(), status: new Set(KNOWN_STATUSES), host: new Set<string>() };
  for (const r of rows) {
    sets.task.add(r.task);
    sets.model.add(r.model);
    if (r.sweep) sets.sweep.add(r.sweep);
    sets.status.add(r.status);
    if (r.exitStatus) sets.status.add(r.exitStatus);
    if (r.host) sets.host.add(r.host);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { task: sorted(sets.task), model: sorted(sets.model), sweep: sorted(sets.sweep), status: sorted(sets.status), host: sorted(sets.host) };
}

export const RunFiltersBar = memo(function RunFiltersBar({ drafts, setDraft, clear, rows }: Props) {
  const options = useMemo(() => suggestions(rows), [rows]);
  const any = Object.values(drafts).some((v) => v.trim() !== '');
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <label className="filter filter-search">
        <span>Search</span>
        <input
          type="search"
          data-testid="search"
          placeholder="episode id, task, model, sweep or host…"
          value={drafts.q}
          maxLength={200}
          onChange={(e) => setDraft('q', e.target.value)}
        />
      </label>
      {FIELDS.map(({ key, label, placeholder }) => (
        <label className="filter" key={key}>
          <span>{label}</span>
          <input
            type="text"
            data-testid={`filter-${key}`}
            list={`filter-${key}-options`}
            placeholder={placeholder}
            value={drafts[key]}
            onChange={(e) => setDraft(key, e.target.value)}
          />
          <datalist id={`filter-${key}-options`}>
            {options[key].map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </label>
      ))}
      <button type="button" className="filters-clear" onClick={clear} disabled={!any}>
        Clear
      </button>
    </form>
  );
});

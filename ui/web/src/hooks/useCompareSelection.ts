/**
 * The episodes checked in a list for a comparison, in the order checked (the first is A). It outlives
 * a change of filters on purpose: search one episode, check it, search another, check it, compare.
 */
import { useCallback, useMemo, useState } from 'react';

export interface CompareSelection {
  /** The ids in the order checked. */
  order: string[];
  selected: ReadonlySet<string>;
  /** Stable, for the memoised rows. */
  toggle: (id: string) => void;
  clear: () => void;
}

export function useCompareSelection(): CompareSelection {
  const [order, setOrder] = useState<string[]>([]);
  const toggle = useCallback((id: string) => setOrder((o) => (o.includes(id) ? o.filter((x) => x !== id) : [...o, id])), []);
  const clear = useCallback(() => setOrder([]), []);
  const selected = useMemo(() => new Set(order), [order]);
  return { order, selected, toggle, clear };
}

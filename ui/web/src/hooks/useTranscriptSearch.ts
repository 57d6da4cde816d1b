/**
 * Matches of the transcript search, counted per step and field so each card is told only its own
 * (cards without a match keep their props and are not re-rendered), and a global index ("3 of 17")
 * maps back to a step and a field.
 */
import { useMemo } from 'react';
import type { StepView } from '../../../shared/api';

export const FIELDS = ['thought', 'action', 'observation'] as const;
export type Field = (typeof FIELDS)[number];

/** The matches in one step: counts per field, and the global index of its first match. */
export interface StepMatches {
  start: number;
  counts: Record<Field, number>;
  total: number;
}

export interface MatchLocation {
  step: number;
  field: Field;
  /** The match's index inside its step (thought's first, then action's, then observation's). */
  local: number;
}

export interface TranscriptSearch {
  total: number;
  byStep: Map<number, StepMatches>;
  locate: (index: number) => MatchLocation | undefined;
}

// Lower-cased fields, computed once per step object: a new query does not lower-case 1,000 observations again.
const lowered = new WeakMap<StepView, Record<Field, string>>();
function lowerOf(s: StepView): Record<Field, string> {
  let l = lowered.get(s);
  if (!l) {
    l = { thought: s.thought.toLowerCase(), action: s.action.toLowerCase(), observation: (s.observation ?? '').toLowerCase() };
    lowered.set(s, l);
  }
  return l;
}

/** Non-overlapping, case-insensitive occurrences; Highlight splits text by the same rule, so counts and marks agree. */
export function countMatches(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

export function useTranscriptSearch(steps: StepView[], query: string): TranscriptSearch {
  return useMemo(() => {
    const byStep = new Map<number, StepMatches>();
    const needle = query.toLowerCase();
    const order: { step: number; m: StepMatches }[] = [];
    let total = 0;
    if (needle) {
      for (const s of steps) {
        const l = lowerOf(s);
        const counts = { thought: countMatches(l.thought, needle), action: countMatches(l.action, needle), observation: countMatches(l.observation, needle) };
        const n = counts.thought + counts.action + counts.observation;
        if (n === 0) continue;
        const m = { start: total, counts, total: n };
        byStep.set(s.step, m);
        order.push({ step: s.step, m });
        total += n;
      }
    }
    const locate = (index: number): MatchLocation | undefined => {
      // Binary search over the steps' first indices: j/k-fast even with thousands of matches.
      let lo = 0;
      let hi = order.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const { m } = order[mid];
        if (index < m.start) hi = mid - 1;
        else if (index >= m.start + m.total) lo = mid + 1;
        else {
          const local = index - m.start;
          const field: Field = local < m.counts.thought ? 'thought' : local < m.counts.thought + m.counts.action ? 'action' : 'observation';
          return { step: order[mid].step, field, local };
        }
      }
      return undefined;
    };
    return { total, byStep, locate };
  }, [steps, query]);
}

import { type Evaluation, isTestScore } from './episode';
import type { MetricDirection } from './task-config';

/** True when score a is better than score b under the metric's direction. */
export function isBetter(a: number, b: number, direction: MetricDirection): boolean {
  return direction === 'max' ? a > b : a < b;
}

/** The best value of the priority metric over the test-split evaluations (validate and submit), as MLGym's "best attempt". */
export function bestScore(evaluations: Evaluation[], metric: string, direction: MetricDirection): number | undefined {
  let best: number | undefined;
  for (const evaluation of evaluations.filter(isTestScore)) {
    const value = evaluation.metrics[metric];
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    if (best === undefined || isBetter(value, best, direction)) best = value;
  }
  return best;
}

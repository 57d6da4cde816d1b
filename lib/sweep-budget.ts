import type { SweepBudget } from './sweep';

/**
 * Whether the sweep's budget still lets new episodes start. The spend of finished and running
 * episodes never goes down, so once it reached the budget the gate stays shut without asking
 * again; a spec re-sent with another budget (raised, or none) opens it for a new look.
 */
export class SweepBudgetGate {
  /** The budget the spend was found to have reached. */
  private reachedAt: number | undefined;

  isExhausted(limitUsd: number | undefined): boolean {
    return limitUsd !== undefined && this.reachedAt === limitUsd;
  }

  /** Looks at the spend so far: true when new episodes may start, false (and exhausted) when it reached the budget. */
  admits(limitUsd: number | undefined, spentUsd: number): boolean {
    if (limitUsd !== undefined && spentUsd >= limitUsd) {
      this.reachedAt = limitUsd;
      return false;
    }
    this.reachedAt = undefined;
    return true;
  }
}

/** The budget part of the sweep's status: the limit, the spend, and when exhausted, why cells wait. */
export function budgetStatus(limitUsd: number | undefined, spentUsd: number, exhausted: boolean, pending: number): SweepBudget {
  return {
    ...(limitUsd !== undefined ? { limitUsd } : {}),
    spentUsd,
    exhausted,
    notStarted: exhausted ? pending : 0,
    ...(exhausted
      ? {
          message: `budget of $${limitUsd?.toFixed(2)} reached ($${spentUsd.toFixed(4)} spent by finished and running episodes): no new episode starts; ${pending} cell(s) not started`,
        }
      : {}),
  };
}

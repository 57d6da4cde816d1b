import { costTotals, countCells, episodeIdOf, type CellRecord, type CellSurvey, type ClosedEpisode, type CostTotals, type SweepCounts } from './sweep';
import { planCells, type SweepPlan } from './sweep-spec';

/** An episode the sweep waits for, and the cell it belongs to. */
export type CellEpisode = Pick<ClosedEpisode, 'cellId' | 'episodeId'>;

/** A failed child episode whose spend is still to be read from the episode itself. */
export type CostLookup = CellEpisode;

/**
 * The sweep's cell table: each cell's state, attempt and spend, which cells still have to be
 * surveyed, and which failed episodes' spend is still to be read. Pure bookkeeping: the sweep
 * workflow asks it what to start or watch next and reports back what its children and activities
 * found; it carries the records across continue-as-new.
 */
export class SweepCells {
  /** Plan order (run-major), then cells that left the spec after they started: the order cells start in. */
  private records = new Map<string, CellRecord>();
  /** Cells new to the table whose episodes have not been looked for yet (a relaunch may find them). */
  private readonly unsurveyed = new Set<string>();
  /** Failed children, by episode id: a failure carries no result, so their spend is read afterwards. */
  private readonly costLookups = new Map<string, string>();

  /** The table of a sweep started afresh: the plan's cells, every one to be surveyed. */
  static planned(plan: Pick<SweepPlan, 'name' | 'tasks' | 'models' | 'runs'>): SweepCells {
    const cells = new SweepCells();
    cells.adopt(plan);
    return cells;
  }

  /** The table carried across continue-as-new (the previous run surveyed it). */
  static carried(records: CellRecord[]): SweepCells {
    const cells = new SweepCells();
    for (const record of records) cells.records.set(record.id, record);
    return cells;
  }

  /**
   * Follows a new spec: its new cells join as pending (to be surveyed: their episodes may exist),
   * known cells keep their state. Cells dropped from the spec are forgotten unless they started
   * (their spend and scores stay).
   */
  adopt(plan: Pick<SweepPlan, 'name' | 'tasks' | 'models' | 'runs'>): void {
    const merged = new Map<string, CellRecord>();
    for (const cell of planCells(plan)) {
      const known = this.records.get(cell.id);
      if (known) merged.set(cell.id, known);
      else {
        merged.set(cell.id, { ...cell, state: 'pending', attempt: 0, closedCostUsd: 0, liveCostUsd: 0 });
        this.unsurveyed.add(cell.id);
      }
    }
    for (const record of this.records.values()) if (!merged.has(record.id) && record.state !== 'pending') merged.set(record.id, record);
    for (const id of this.unsurveyed) if (!merged.has(id)) this.unsurveyed.delete(id);
    this.records = merged;
  }

  get surveying(): boolean {
    return this.unsurveyed.size > 0;
  }

  /** Cells whose episodes the survey must look for. */
  toSurvey(): string[] {
    return [...this.unsurveyed];
  }

  /** Takes what the survey found; returns the cells found running, which the sweep must watch. */
  applySurvey(surveys: CellSurvey[]): string[] {
    const running: string[] = [];
    for (const s of surveys) {
      this.unsurveyed.delete(s.cellId);
      const record = this.records.get(s.cellId);
      if (!record) continue;
      record.attempt = s.attempt;
      record.closedCostUsd = s.closedCostUsd;
      record.liveCostUsd = s.liveCostUsd;
      record.outcome = s.outcome;
      record.error = s.error;
      record.state = s.state === 'new' ? 'pending' : s.state;
      if (s.state === 'running') running.push(s.cellId);
    }
    return running;
  }

  /** Ids of the running cells. */
  runningCellIds(): string[] {
    return this.list()
      .filter((r) => r.state === 'running')
      .map((r) => r.id);
  }

  /** The running episodes of these cells (a watch ends when none is left). */
  runningEpisodes(cellIds: string[]): CellEpisode[] {
    return cellIds.flatMap((id) => {
      const record = this.records.get(id);
      return record?.state === 'running' ? [{ cellId: id, episodeId: episodeIdOf(record) }] : [];
    });
  }

  /**
   * Records the end of a cell's running attempt; ignores news about any other attempt. Returns
   * whether the table changed.
   */
  close(closed: ClosedEpisode): boolean {
    const record = this.records.get(closed.cellId);
    if (!record || record.state !== 'running' || episodeIdOf(record) !== closed.episodeId) return false;
    record.state = closed.state;
    record.closedCostUsd += closed.costUsd;
    record.liveCostUsd = 0;
    record.outcome = closed.outcome;
    record.error = closed.error;
    return true;
  }

  /** A child episode failed: closes its cell and notes that its spend is still to be read. */
  closeFailedChild(cellId: string, episodeId: string, error: string): boolean {
    this.costLookups.set(episodeId, cellId);
    return this.close({ cellId, episodeId, state: 'failed', costUsd: 0, error });
  }

  /** Marks a cell's latest attempt failed without an episode (it could not start). */
  fail(cellId: string, error: string): void {
    const record = this.records.get(cellId);
    if (!record) return;
    record.state = 'failed';
    record.error = error;
  }

  /** Turns the failed cells still in the spec into pending ones; the next start takes attempt + 1. */
  retryFailed(plan: Pick<SweepPlan, 'tasks' | 'models'>): void {
    for (const record of this.records.values()) {
      const inSpec = plan.tasks.some((t) => t.id === record.task) && plan.models.some((m) => m.key === record.model);
      if (record.state !== 'failed' || !inSpec) continue;
      // A new episode id: the failed attempt stays visible in history.
      record.state = 'pending';
      record.error = undefined;
      record.outcome = undefined;
    }
  }

  /** True when a cell waits and fewer than `concurrency` run. */
  canStart(concurrency: number): boolean {
    return countCells(this.records.values()).running < concurrency && this.list().some((r) => r.state === 'pending');
  }

  /**
   * Starts the next pending cells, in table order, up to `concurrency` running: each gets its next
   * attempt (so a new episode id). Returns them, for the workflow to start their episodes.
   */
  startNext(concurrency: number): readonly Readonly<CellRecord>[] {
    const batch: CellRecord[] = [];
    // Counted once: counting per visited record made each wake O(cells^2), and a replay of a
    // 1,000-cell run (after a worker restart or a timed-out task) took longer than the task timeout.
    const runningNow = countCells(this.records.values()).running;
    for (const record of this.records.values()) {
      if (runningNow + batch.length >= concurrency) break;
      if (record.state === 'pending') batch.push(record);
    }
    for (const record of batch) {
      record.attempt += 1;
      record.state = 'running';
      record.liveCostUsd = 0;
    }
    return batch;
  }

  /** Episode ids of the running cells, whose spend so far the budget needs. */
  runningEpisodeIds(): string[] {
    return this.list()
      .filter((r) => r.state === 'running')
      .map(episodeIdOf);
  }

  /** Takes the spend so far of running episodes (USD by episode id). */
  setLiveCosts(costs: Record<string, number>): void {
    for (const record of this.records.values()) {
      if (record.state !== 'running') continue;
      const cost = costs[episodeIdOf(record)];
      if (cost !== undefined) record.liveCostUsd = cost;
    }
  }

  get hasCostLookups(): boolean {
    return this.costLookups.size > 0;
  }

  /** The failed children whose spend is to be read now; later failures wait for the next call. */
  takeCostLookups(): CostLookup[] {
    const lookups = [...this.costLookups].map(([episodeId, cellId]) => ({ cellId, episodeId }));
    this.costLookups.clear();
    return lookups;
  }

  /** Adds the spend read for failed children (USD by episode id) to their cells. */
  addLookedUpCosts(lookups: CostLookup[], costs: Record<string, number>): void {
    for (const { cellId, episodeId } of lookups) {
      const record = this.records.get(cellId);
      if (record) record.closedCostUsd += costs[episodeId] ?? 0;
    }
  }

  /** Nothing left to do: every cell surveyed and closed, or left unstarted by an exhausted budget. */
  allDone(budgetExhausted: boolean): boolean {
    return !this.surveying && this.list().every((r) => r.state === 'completed' || r.state === 'failed' || (r.state === 'pending' && budgetExhausted));
  }

  counts(): SweepCounts {
    return countCells(this.records.values());
  }

  costs(): CostTotals {
    return costTotals(this.records.values());
  }

  /** The records, in table order: what the status shows and continue-as-new carries. */
  list(): CellRecord[] {
    return [...this.records.values()];
  }
}

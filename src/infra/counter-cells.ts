import type { Counter, LabelValues } from 'prom-client';

/** The running count of one label set; the hot path only does `cell.value++`. */
export interface Cell {
  value: number;
}

interface Published<L extends string> {
  labels: LabelValues<L>;
  cell: Cell;
  published: number;
}

/**
 * Counts kept as plain numbers on the hot path and handed to a prom-client counter whenever the
 * counter is read (a scrape, the status page, the admin API), through its `collect` hook.
 * A labelled `inc()` validates and hashes its labels on every call (~0.3–0.5 µs, several per
 * message); a cell increment costs next to nothing, and Cutover's label sets are small and bounded.
 */
export class CounterCells<L extends string> {
  private readonly cells = new Map<string, Published<L>>();

  constructor(private readonly counter: Counter<L>) {}

  /** The cell of one label set, created (and its series zeroed) on first use. Keep it; don't look it up per call. */
  cell(labels: LabelValues<L>): Cell {
    const key = JSON.stringify(labels);
    let entry = this.cells.get(key);
    if (!entry) {
      entry = { labels, cell: { value: 0 }, published: 0 };
      this.cells.set(key, entry);
      this.counter.inc(labels, 0);
    }
    return entry.cell;
  }

  /** Moves what was counted since the last read into the prom-client counter. */
  publish(): void {
    for (const entry of this.cells.values()) {
      const delta = entry.cell.value - entry.published;
      if (delta === 0) continue;
      this.counter.inc(entry.labels, delta);
      entry.published = entry.cell.value;
    }
  }
}

import type { SecondSample } from '../../domain/guard/window.js';

/**
 * Per-second traffic counts of the whole fleet: each instance adds its own seconds, the guard
 * reads them back summed over every instance.
 */
export interface TrafficWindows {
  /** Adds one instance's counts for closed seconds (called about once a second). */
  add(samples: SecondSample[]): Promise<void>;
  /** Fleet totals for every second in [from, to] that has data. */
  read(from: number, to: number): Promise<SecondSample[]>;
}

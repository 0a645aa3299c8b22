import type { Side } from '../message.js';
import { PrefixSeries, type Totals, type TrafficSeries } from './traffic-series.js';
import type { SecondSample } from './window.js';

/**
 * The guard's series across evaluations: a second old enough that no flush can still change it is
 * added to a prefix series once; the last few are summed anew each time. So an evaluation costs a
 * few seconds of work instead of rebuilding fifteen minutes of latency buckets.
 */
export class RollingSeries implements TrafficSeries {
  private settled = new PrefixSeries();
  /** Last second in `settled`; nothing before it is added again. */
  private settledUntil: number | undefined;
  private settledFrom: number | undefined;
  private recent = new PrefixSeries();
  private recentFrom = 0;

  /**
   * @param settleSeconds seconds before `now` that may still receive a late flush
   * @param keepSeconds how far back from `now` queries reach (they must not reach further); older seconds are dropped now and then
   */
  constructor(private readonly settleSeconds: number, private readonly keepSeconds: number) {}

  /** Takes the fleet's seconds read for this evaluation (ascending or not), `now` the last closed one. */
  update(samples: readonly SecondSample[], now: number): void {
    const settleBefore = now - this.settleSeconds;
    const sorted = [...samples].sort((a, b) => a.second - b.second);
    if (this.settledFrom !== undefined && this.settledFrom < now - 2 * this.keepSeconds) this.reset();
    for (const sample of sorted) {
      if (sample.second > settleBefore) break;
      if (this.settledUntil !== undefined && sample.second <= this.settledUntil) continue;
      this.settled.append(sample);
      this.settledFrom ??= sample.second;
      this.settledUntil = sample.second;
    }
    // A gap at the end of the settled part stays a gap: the next settled second's append fills it.
    this.settledUntil = Math.max(this.settledUntil ?? settleBefore, settleBefore);
    this.recentFrom = this.settledUntil + 1;
    this.recent = PrefixSeries.of(sorted.filter((s) => s.second >= this.recentFrom));
  }

  private reset(): void {
    this.settled = new PrefixSeries();
    this.settledUntil = undefined;
    this.settledFrom = undefined;
  }

  totals(side: Side, from: number, to: number): Totals {
    return { requests: this.requests(side, from, to), errors: this.errors(side, from, to) };
  }

  histogram(side: Side, from: number, to: number): number[] {
    const [a, b] = this.split(from, to);
    const early = a ? this.settled.histogram(side, a[0], a[1]) : undefined;
    const late = b ? this.recent.histogram(side, b[0], b[1]) : undefined;
    if (!early) return late ?? this.recent.histogram(side, 1, 0);
    if (late) for (let i = 0; i < early.length; i++) early[i]! += late[i]!;
    return early;
  }

  requests(side: Side, from: number, to: number): number {
    return this.sum(from, to, (series, a, b) => series.requests(side, a, b));
  }

  errors(side: Side, from: number, to: number): number {
    return this.sum(from, to, (series, a, b) => series.errors(side, a, b));
  }

  timed(side: Side, from: number, to: number): number {
    return this.sum(from, to, (series, a, b) => series.timed(side, a, b));
  }

  slower(side: Side, bucket: number, from: number, to: number): number {
    return this.sum(from, to, (series, a, b) => series.slower(side, bucket, a, b));
  }

  /** A sum over the span: its settled part, and its recent part. */
  private sum(from: number, to: number, of: (series: PrefixSeries, from: number, to: number) => number): number {
    const cut = this.recentFrom;
    return (from < cut ? of(this.settled, from, Math.min(to, cut - 1)) : 0) + (to >= cut ? of(this.recent, Math.max(from, cut), to) : 0);
  }

  /** The span's part in the settled series and its part in the recent seconds (either may be empty). */
  private split(from: number, to: number): [[number, number] | null, [number, number] | null] {
    const cut = this.recentFrom;
    return [from < cut ? [from, Math.min(to, cut - 1)] : null, to >= cut ? [Math.max(from, cut), to] : null];
  }
}

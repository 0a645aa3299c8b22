import type { Side } from '../message.js';
import { GUARD_LATENCY_BOUNDS_MS, type SecondSample } from './window.js';

export interface Totals {
  requests: number;
  errors: number;
}

/** Sums of fleet traffic over any span of seconds, in constant time. */
export interface TrafficSeries {
  totals(side: Side, from: number, to: number): Totals;
  /** Latency bucket counts (GUARD_LATENCY_BOUNDS_MS, then +Inf). */
  histogram(side: Side, from: number, to: number): number[];
}

const BUCKETS = GUARD_LATENCY_BOUNDS_MS.length + 1;

/**
 * Prefix sums over a dense run of seconds (gaps count as zero traffic): the guard sums many
 * windows each second, and the simulation judges hundreds of thousands of seconds.
 */
export class PrefixSeries implements TrafficSeries {
  private first: number | undefined;
  private readonly requests: Record<Side, number[]> = { old: [0], new: [0] };
  private readonly errors: Record<Side, number[]> = { old: [0], new: [0] };
  private readonly latency: Record<Side, number[][]> = {
    old: Array.from({ length: BUCKETS }, () => [0]),
    new: Array.from({ length: BUCKETS }, () => [0]),
  };

  static of(samples: readonly SecondSample[]): PrefixSeries {
    const series = new PrefixSeries();
    for (const sample of [...samples].sort((a, b) => a.second - b.second)) series.append(sample);
    return series;
  }

  /** Adds one second; seconds must come in order (a gap is filled with zeros). */
  append(sample: SecondSample): void {
    this.first ??= sample.second;
    const index = sample.second - this.first + 1;
    if (index < this.requests.old.length) throw new Error(`second ${sample.second} appended out of order`);
    while (this.requests.old.length < index) this.push(undefined);
    this.push(sample);
  }

  private push(sample: SecondSample | undefined): void {
    for (const side of ['old', 'new'] as const) {
      const counts = sample?.sides[side];
      const r = this.requests[side];
      const e = this.errors[side];
      r.push(r[r.length - 1]! + (counts?.requests ?? 0));
      e.push(e[e.length - 1]! + (counts?.errors ?? 0));
      const l = this.latency[side];
      for (let b = 0; b < BUCKETS; b++) l[b]!.push(l[b]![l[b]!.length - 1]! + (counts?.latency[b] ?? 0));
    }
  }

  /** Index range [lo, hi) of prefix entries for seconds from..to, clamped to what is held. */
  private span(from: number, to: number): [number, number] {
    if (this.first === undefined) return [0, 0];
    const last = this.requests.old.length - 1;
    const lo = Math.min(Math.max(from - this.first, 0), last);
    const hi = Math.min(Math.max(to - this.first + 1, 0), last);
    return [lo, Math.max(lo, hi)];
  }

  totals(side: Side, from: number, to: number): Totals {
    const [lo, hi] = this.span(from, to);
    return { requests: this.requests[side][hi]! - this.requests[side][lo]!, errors: this.errors[side][hi]! - this.errors[side][lo]! };
  }

  histogram(side: Side, from: number, to: number): number[] {
    const [lo, hi] = this.span(from, to);
    return this.latency[side].map((prefix) => prefix[hi]! - prefix[lo]!);
  }
}

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
  /** The scalar sums the tests read thousands of times an evaluation, without an object each. */
  requests(side: Side, from: number, to: number): number;
  errors(side: Side, from: number, to: number): number;
  /** Sends with a latency. */
  timed(side: Side, from: number, to: number): number;
  /** Sends in the buckets past `bucket` (slower than its bound). */
  slower(side: Side, bucket: number, from: number, to: number): number;
}

const BUCKETS = GUARD_LATENCY_BOUNDS_MS.length + 1;
const SIDES: readonly Side[] = ['old', 'new'];

interface SidePrefixes {
  requests: Float64Array;
  errors: Float64Array;
  /** Per second, the sends up to that second in buckets 0..b, for every b: row t starts at t × BUCKETS. */
  atMost: Float64Array;
}

/**
 * Prefix sums over a dense run of seconds (gaps count as zero traffic): the guard sums many
 * windows each second, and the simulation judges hundreds of thousands of seconds. Latency is kept
 * cumulative over the buckets too, so "slower than a bound" is one subtraction.
 */
export class PrefixSeries implements TrafficSeries {
  private first: number | undefined;
  /** Prefix entries held (seconds + 1). */
  private length = 1;
  private readonly sides: Record<Side, SidePrefixes>;

  constructor(capacitySeconds = 1_024) {
    this.sides = { old: allocate(capacitySeconds + 1), new: allocate(capacitySeconds + 1) };
  }

  static of(samples: readonly SecondSample[]): PrefixSeries {
    const sorted = [...samples].sort((a, b) => a.second - b.second);
    const span = sorted.length === 0 ? 0 : sorted[sorted.length - 1]!.second - sorted[0]!.second + 1;
    const series = new PrefixSeries(span);
    for (const sample of sorted) series.append(sample);
    return series;
  }

  /** Adds one second; seconds must come in order (a gap is filled with zeros). */
  append(sample: SecondSample): void {
    this.first ??= sample.second;
    const index = sample.second - this.first + 1;
    if (index < this.length) throw new Error(`second ${sample.second} appended out of order`);
    while (this.length < index) this.push(undefined);
    this.push(sample);
  }

  private push(sample: SecondSample | undefined): void {
    if (this.length === this.sides.old.requests.length) this.grow();
    const t = this.length;
    const row = t * BUCKETS;
    for (const side of SIDES) {
      const prefix = this.sides[side];
      const counts = sample?.sides[side];
      prefix.requests[t] = prefix.requests[t - 1]! + (counts?.requests ?? 0);
      prefix.errors[t] = prefix.errors[t - 1]! + (counts?.errors ?? 0);
      const atMost = prefix.atMost;
      atMost.copyWithin(row, row - BUCKETS, row);
      if (!counts) continue;
      const latency = counts.latency;
      let cumulative = 0;
      for (let b = 0; b < BUCKETS; b++) {
        cumulative += latency[b]!;
        atMost[row + b] += cumulative;
      }
    }
    this.length++;
  }

  private grow(): void {
    for (const side of SIDES) {
      const bigger = allocate(this.sides[side].requests.length * 2);
      bigger.requests.set(this.sides[side].requests);
      bigger.errors.set(this.sides[side].errors);
      bigger.atMost.set(this.sides[side].atMost);
      this.sides[side] = bigger;
    }
  }

  /** Index range [lo, hi) of prefix entries for seconds from..to, clamped to what is held. */
  private span(from: number, to: number): [number, number] {
    const lo = this.lo(from);
    return [lo, this.hi(lo, to)];
  }

  /** The span's ends apart, so the scalar sums allocate nothing. */
  private lo(from: number): number {
    if (this.first === undefined) return 0;
    return Math.min(Math.max(from - this.first, 0), this.length - 1);
  }

  private hi(lo: number, to: number): number {
    if (this.first === undefined) return 0;
    return Math.max(lo, Math.min(Math.max(to - this.first + 1, 0), this.length - 1));
  }

  totals(side: Side, from: number, to: number): Totals {
    const [lo, hi] = this.span(from, to);
    const prefix = this.sides[side];
    return { requests: prefix.requests[hi]! - prefix.requests[lo]!, errors: prefix.errors[hi]! - prefix.errors[lo]! };
  }

  histogram(side: Side, from: number, to: number): number[] {
    const [lo, hi] = this.span(from, to);
    const atMost = this.sides[side].atMost;
    const counts = new Array<number>(BUCKETS);
    let below = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const upTo = atMost[hi * BUCKETS + b]! - atMost[lo * BUCKETS + b]!;
      counts[b] = upTo - below;
      below = upTo;
    }
    return counts;
  }

  requests(side: Side, from: number, to: number): number {
    const lo = this.lo(from);
    return this.sides[side].requests[this.hi(lo, to)]! - this.sides[side].requests[lo]!;
  }

  errors(side: Side, from: number, to: number): number {
    const lo = this.lo(from);
    return this.sides[side].errors[this.hi(lo, to)]! - this.sides[side].errors[lo]!;
  }

  timed(side: Side, from: number, to: number): number {
    return this.atMostSum(side, BUCKETS - 1, from, to);
  }

  slower(side: Side, bucket: number, from: number, to: number): number {
    return this.timed(side, from, to) - this.atMostSum(side, bucket, from, to);
  }

  private atMostSum(side: Side, bucket: number, from: number, to: number): number {
    const lo = this.lo(from);
    const hi = this.hi(lo, to);
    const atMost = this.sides[side].atMost;
    return atMost[hi * BUCKETS + bucket]! - atMost[lo * BUCKETS + bucket]!;
  }
}

function allocate(entries: number): SidePrefixes {
  return { requests: new Float64Array(entries), errors: new Float64Array(entries), atMost: new Float64Array(entries * BUCKETS) };
}

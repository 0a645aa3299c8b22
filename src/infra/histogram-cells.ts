import type { Histogram, LabelValues, Registry } from 'prom-client';

/** What a registry reads from a histogram (prom-client's own `get()` shape; its typings say `type` is an enum, the code a string). */
export interface HistogramExposition {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: { labels: Record<string, string | number>; value: number; metricName: string }[];
}

/** One label set's buckets; the hot path calls `observe`. */
export interface HistogramCell {
  observe(value: number): void;
}

class Series implements HistogramCell {
  /** Per bucket (not cumulative); the last slot is above the highest bound (+Inf only). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly labels: Record<string, string | number>, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/**
 * A histogram with the same exposition as prom-client's, for the per-message latency series:
 * prom-client's `observe` validates and hashes the labels on every call (~1 µs, twice per
 * message), while a cell here is resolved once and counts into a plain array. It registers in a
 * prom-client registry like any metric, so `/metrics`, the status page and the JSON API read it
 * as they read the others; a test holds its output equal to prom-client's Histogram's.
 */
export class HistogramCells<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(readonly config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    for (const registry of config.registers) {
      // prom-client's registry reads a metric through `name`, `type`, `get()` and `reset()` only
      // (duck-typed in 15.x), but types `registerMetric` as its own classes: hence the cast.
      registry.registerMetric(this as unknown as Histogram<L>);
    }
  }

  get name(): string {
    return this.config.name;
  }

  get help(): string {
    return this.config.help;
  }

  /** The cell of one label set, created (at zero) on first use. Keep it; don't look it up per call. */
  cell(labels: LabelValues<L>): HistogramCell {
    const key = JSON.stringify(labels);
    let series = this.series.get(key);
    if (!series) {
      const defined = Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
      this.series.set(key, (series = new Series(defined, this.config.buckets)));
    }
    return series;
  }

  /** The exposition prom-client's Histogram gives: cumulative buckets, +Inf, sum, count, per label set. */
  async get(): Promise<HistogramExposition> {
    const { name, help, buckets } = this.config;
    const values: HistogramExposition['values'] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` },
        { labels: { ...series.labels }, value: series.sum, metricName: `${name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${name}_count` },
      );
    }
    return { name, help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const series of this.series.values()) series.clear();
  }
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterCells } from '../../src/infra/counter-cells.js';
import { HistogramCells } from '../../src/infra/histogram-cells.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
// Values on, between, below and above the bounds.
const OBSERVED: Array<[string, number]> = [
  ['old', 0.0005], ['old', 0.001], ['old', 0.0011], ['new', 0.05], ['old', 0.1], ['new', 0.1000001], ['old', 3], ['new', 1], ['old', 0],
];

test('HistogramCells renders exactly what prom-client renders for the same observations, text and JSON', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['side', 'op'] as const, buckets: BUCKETS, registers: [theirs] });
  const cells = new HistogramCells<'side' | 'op'>({ name: 'x_seconds', help: 'h', buckets: BUCKETS, registers: [ours] });
  for (const [side, value] of OBSERVED) {
    reference.observe({ side, op: 'send' }, value);
    cells.cell({ side, op: 'send' }).observe(value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // prom-client adds `exemplar: null` to each bucket (exemplars are off); nothing reads it.
  const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>): unknown =>
    metrics.map((m) => ({ ...m, values: m.values.map(({ labels, value, ...rest }) => ({ labels, value, metricName: (rest as { metricName?: string }).metricName })) }));
  assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()));
  assert.match(await ours.metrics(), /x_seconds_bucket\{le="0.001",side="old",op="send"\} 3/, 'cumulative, `le` inclusive');

  ours.resetMetrics();
  assert.match(await ours.metrics(), /x_seconds_count\{side="old",op="send"\} 0/, 'reset zeroes the series and keeps them');
});

test('CounterCells: counts reach the prom-client counter when it is read, and each count once', async () => {
  const registry = new Registry();
  let cells: CounterCells<'side' | 'result'> | undefined;
  const counter: Counter<'side' | 'result'> = new Counter({
    name: 'y_total', help: 'h', labelNames: ['side', 'result'] as const, registers: [registry], collect: () => cells?.publish(),
  });
  cells = new CounterCells(counter);
  const ok = cells.cell({ side: 'old', result: 'ok' });
  const retry = cells.cell({ side: 'new', result: 'retry' });
  assert.equal(cells.cell({ side: 'old', result: 'ok' }), ok, 'one cell per label set');
  assert.match(await registry.metrics(), /y_total\{side="new",result="retry"\} 0/, 'a series exists from its first cell');

  for (let i = 0; i < 5; i++) ok.value++;
  retry.value++;
  assert.match(await registry.metrics(), /y_total\{side="old",result="ok"\} 5/);
  ok.value += 2;
  const text = await registry.metrics();
  assert.match(text, /y_total\{side="old",result="ok"\} 7/, 'a second read adds only what is new');
  assert.match(text, /y_total\{side="new",result="retry"\} 1/);
});

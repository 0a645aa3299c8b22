import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meteringSwitchVerdict, type SwitchRun } from '../../bench/metering-switch.js';
import type { SendRow } from '../../bench/send-throughput.js';
import { switchEstimate, type SwitchSlice } from '../../bench/support/switch-slices.js';

/**
 * Pairs of slices, 5,000 messages each, at `base` µs a message off and base × (1 + added) on,
 * metered first in the even pairs and second in the odd ones; the machine speeds up by 1 % a
 * slice (drift the pairing must cancel).
 */
function slices(count: number, added: number, base = 40): SwitchSlice[] {
  return Array.from({ length: count }, (_, i) => {
    const pair = Math.floor(i / 2);
    const metered = (i % 2 === 0) === (pair % 2 === 0);
    const perMessage = base * (1 + (metered ? added : 0)) * (1 - 0.01 * i);
    return { pair, metered, cpuUs: perMessage * 5_000, messages: 5_000, flushCpuUs: 0 };
  });
}
const near = (actual: number, expected: number, within: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= within, `${what}: ${actual} is not within ${within} of ${expected}`);
};

test('switch estimate: each pair of slices gives what the meter adds; the first and last slices and their pairs are left out', () => {
  const estimate = switchEstimate({ sliceMs: 250, control: false, slices: slices(22, 0.03) });
  assert.equal(estimate.added.length, 9, 'pairs 1 to 9: pair 0 lost its first slice, pair 10 its last');
  assert.equal(estimate.dropped, 4);
  // A pair reads 3 % and 1 % of drift, more when the metered slice comes first, less when second,
  // never the 20 % the drift spans over the run.
  const speed = (slice: number): number => 1 - 0.01 * slice;
  for (const [n, added] of estimate.added.entries()) {
    const pair = n + 1;
    const [on, off] = pair % 2 === 0 ? [2 * pair, 2 * pair + 1] : [2 * pair + 1, 2 * pair];
    near(added, (1.03 * speed(on)) / speed(off) - 1, 1e-9, `pair ${pair}`);
    assert.ok(Math.abs(added - 0.03) < 0.013, `pair ${pair} reads ${added}`);
  }
  near(estimate.pooled, 0.03, 0.002, 'pooled: the two orders cancel most of the drift');
});

test('switch estimate: a slice the load barely reached is dropped with its pair', () => {
  const all = slices(12, 0.02);
  all[5] = { ...all[5]!, messages: 1_000, cpuUs: 1_000 * 80 };
  const estimate = switchEstimate({ sliceMs: 250, control: false, slices: all });
  assert.equal(estimate.added.length, 3, 'pairs 1, 3 and 4: pair 2 had the slice the load barely reached');
  assert.equal(estimate.dropped, 6);
  assert.ok(estimate.added.every((added) => added < 0.05), 'the dear, barely loaded slice is not in any figure');
});

test('switch estimate: a flush is metering\'s cost wherever it fell; in a control it is both states\' alike', () => {
  // No difference but one flush of 20,000 µs, landed in an unmetered slice.
  const flat = Array.from({ length: 12 }, (_, i): SwitchSlice => ({ pair: Math.floor(i / 2), metered: i % 2 === 0, cpuUs: 200_000, messages: 5_000, flushCpuUs: 0 }));
  flat[5] = { ...flat[5]!, cpuUs: 220_000, flushCpuUs: 20_000 };
  const estimate = switchEstimate({ sliceMs: 250, control: false, slices: flat });
  // 20,000 µs over the 25,000 messages of the five metered slices between the first and the last
  // (one of them in a pair left out): 0.8 µs more on 40 µs a message.
  assert.equal(estimate.added.length, 4);
  for (const added of estimate.added) near(added, 0.02, 1e-9, 'a pair');
  near(estimate.pooled, 0.02, 1e-9, 'pooled');
  const control = switchEstimate({ sliceMs: 250, control: true, slices: flat });
  for (const added of control.added) near(added, 0, 1e-9, 'a control pair');
});

function run(control: boolean, medianAdded: number, round: number): SwitchRun {
  const added = [medianAdded - 0.01, medianAdded, medianAdded + 0.01, medianAdded, medianAdded + 0.02, medianAdded - 0.02, medianAdded];
  return { control, estimate: { added, pooled: medianAdded, dropped: 2 }, row: { round, label: 'switch', errors: 0, timeouts: 0, non2xx: 0 } as SendRow };
}

test('metering switch verdict: over the processes\' medians, PASS within 2 %, MISS above, OPEN across; the control holds 0 or leans', () => {
  const within = meteringSwitchVerdict([0.010, 0.012, 0.008, 0.015, 0.011].map((m, i) => run(false, m, i + 1)));
  assert.match(within[0]!, /^PASS {2}metering: a request costs 1\.1 % more .* median of 5 process\(es\), 90 % interval 0\.8 % … 1\.5 %/);
  assert.match(within[1]!, /per process, the median of its slice pairs: 1\.0 %, 1\.2 %, 0\.8 %, 1\.5 %, 1\.1 %/);
  assert.match(meteringSwitchVerdict([0.03, 0.025, 0.04, 0.022, 0.03].map((m, i) => run(false, m, i + 1)))[0]!, /^MISS /);
  assert.match(meteringSwitchVerdict([0.01, 0.025, 0.015, 0.03, 0.018].map((m, i) => run(false, m, i + 1)))[0]!, /^OPEN /);
  assert.match(meteringSwitchVerdict([run(false, 0.01, 1), run(false, 0.01, 2)])[0]!, /^OPEN .*too few processes for an interval/);
  const [, , fair] = meteringSwitchVerdict([run(false, 0.01, 1), run(false, 0.01, 2), run(true, 0, 3)]);
  assert.match(fair!, /^PASS {2}metering switch control \(A\/A, metered in both states\): reads 0\.0 %.*holding 0/);
  const [, , leaning] = meteringSwitchVerdict([run(false, 0.01, 1), run(false, 0.01, 2), run(true, 0.05, 3)]);
  assert.match(leaning!, /^MISS {2}metering switch control/);
});

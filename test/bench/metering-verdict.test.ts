import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meteringVerdict, type SendRow } from '../../bench/send-throughput.js';

/** A round of the metering pair: the metering-off row at 40 µs a request, the metered one `added` more. */
function pair(round: number, added: number): SendRow[] {
  const row = (scenario: 'embedded' | 'unmetered', serverCpuUs: number) => ({ scenario, round, serverCpuUs }) as SendRow;
  return [row('embedded', 40 * (1 + added)), row('unmetered', 40)];
}
const rounds = (added: readonly number[]) => added.flatMap((a, i) => pair(i + 1, a));

test('metering verdict: PASS only when the whole 90 % interval of the median is within 2 %, MISS when all of it is above, OPEN between', () => {
  const steady = meteringVerdict(rounds([0.01, 0.012, 0.008, 0.011, 0.009, 0.01, 0.013, 0.007, 0.01, 0.012, 0.009, 0.011]), undefined);
  assert.match(steady[0]!, /^PASS {2}metering: embedded uses 1\.0 % more .* 90 % interval 0\.9 % … 1\.2 %/);
  const dear = meteringVerdict(rounds([0.05, 0.04, 0.06, 0.045, 0.055, 0.05, 0.048, 0.052, 0.03, 0.07, 0.05, 0.05]), undefined);
  assert.match(dear[0]!, /^MISS {2}metering: embedded uses 5\.0 %/);
  // A median under the target is not enough when the rounds swing: it says how many rounds would decide.
  const noisy = meteringVerdict(rounds([0.08, -0.06, 0.01, 0.05, -0.03, 0.0, 0.04, -0.09, 0.02, 0.06, -0.02, 0.015]), undefined);
  assert.match(noisy[0]!, /^OPEN {2}metering: embedded uses 1\.2 % .* 90 % interval -3\.0 % … 5\.0 %/);
  assert.match(noisy[1]!, /the interval straddles the target: about \d+ rounds at this spread would decide it/);
  assert.match(meteringVerdict(rounds([0.01, 0.01, 0.01, 0.01]), undefined)[0]!, /^OPEN .*too few rounds for an interval/);
});

test('metering verdict, control run (A/A): PASS when the interval holds 0, MISS when the method leans', () => {
  const fair = meteringVerdict(rounds([0.03, -0.02, 0.01, -0.04, 0.02, 0.0, -0.01, 0.05, -0.03, 0.01, 0.02, -0.02]), undefined, true);
  assert.match(fair[0]!, /^PASS {2}metering control \(A\/A, both rows metered\): the method reads .* than its twin/);
  const leaning = meteringVerdict(rounds([0.03, 0.04, 0.035, 0.05, 0.03, 0.045, 0.04, 0.03, 0.05, 0.04, 0.035, 0.04]), undefined, true);
  assert.match(leaning[0]!, /^MISS {2}metering control/);
});

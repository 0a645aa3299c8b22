import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RollingSeries } from '../../../src/domain/guard/rolling-series.js';
import { PrefixSeries } from '../../../src/domain/guard/traffic-series.js';
import { emptyCounts, latencyBucket, type SecondSample } from '../../../src/domain/guard/window.js';

function sample(second: number, requests: number): SecondSample {
  const s: SecondSample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
  s.sides.old.requests = requests;
  s.sides.old.errors = requests % 3;
  s.sides.new.requests = requests + 1;
  s.sides.new.latency[latencyBucket(10 * (second % 50))] = requests + 1;
  return s;
}

test('the rolling series answers like a series rebuilt from the same seconds, while the last seconds still change and old ones drop out', () => {
  const rolling = new RollingSeries(5, 100);
  for (let now = 1_000; now < 1_400; now++) {
    // The fleet's view at `now`: the last 100 s, a gap at second 1_050, and the last 5 s still growing.
    const samples: SecondSample[] = [];
    for (let second = now - 99; second <= now; second++) {
      if (second === 1_050) continue;
      const lateFlush = second > now - 5 ? now - second : 5;
      samples.push(sample(second, (second % 17) + lateFlush));
    }
    rolling.update(samples, now);
    const rebuilt = PrefixSeries.of(samples);
    for (const [from, to] of [[now - 99, now], [now - 10, now], [now - 3, now - 1], [now - 60, now - 20], [now, now], [now - 99, 1_060]] as const) {
      for (const side of ['old', 'new'] as const) {
        assert.deepEqual(rolling.totals(side, from, to), rebuilt.totals(side, from, to), `totals ${side} ${from}..${to} at ${now}`);
        assert.deepEqual(rolling.histogram(side, from, to), rebuilt.histogram(side, from, to), `histogram ${side} ${from}..${to} at ${now}`);
        assert.equal(rolling.slower(side, 20, from, to), rebuilt.slower(side, 20, from, to));
        assert.equal(rolling.timed(side, from, to), rebuilt.timed(side, from, to));
      }
    }
  }
});

import type { Side } from '../../src/domain/message.js';
import { logNormal, type LatencyModel } from './latency-model.js';

/** What one side does in one second of a scenario. */
export interface SideBehaviour {
  requestsPerSecond: number;
  errorRate: number;
  latency: LatencyModel;
}

export interface Scenario {
  name: string;
  /** Healthy scenarios count false rollbacks; the others, time to detect. */
  healthy: boolean;
  durationSeconds: number;
  /** When the regression starts (detection time is measured from here). */
  regressionAt?: number;
  /** Seconds whose fleet sample never reaches the guard (a metrics gap). */
  gap?: [from: number, to: number];
  behaviour(second: number, side: Side): SideBehaviour;
  /** Target detection time (s), for the PASS/MISS column. */
  detectWithinSeconds?: number;
}

const BASE_LATENCY = logNormal(40, 0.5);
const SLOWER_NEW = logNormal(55, 0.55);
const BLIP_LATENCY = logNormal(160, 0.6);
const TEN_MINUTES = 600;
const REGRESSION_AT = 120;

function steady(name: string, rps: number, errorRate: number, newLatency = BASE_LATENCY): Scenario {
  return {
    name, healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: (_s, side) => ({ requestsPerSecond: rps, errorRate, latency: side === 'new' ? newLatency : BASE_LATENCY }),
  };
}

function regression(name: string, rps: number, base: number, after: (s: number) => Partial<SideBehaviour>, detectWithinSeconds?: number): Scenario {
  return {
    name, healthy: false, durationSeconds: TEN_MINUTES, regressionAt: REGRESSION_AT, detectWithinSeconds,
    behaviour: (s, side) => ({
      requestsPerSecond: rps, errorRate: base, latency: BASE_LATENCY,
      ...(side === 'new' && s >= REGRESSION_AT ? after(s - REGRESSION_AT) : {}),
    }),
  };
}

export const HEALTHY: Scenario[] = [
  steady('healthy 100 rps, 2% errors', 100, 0.02),
  steady('healthy 100 rps, 5% errors', 100, 0.05),
  steady('healthy 500 rps, 0.5% errors', 500, 0.005),
  steady('healthy low traffic 5 rps, 1% errors', 5, 0.01),
  steady('healthy, new a bit slower (p99 +40ms)', 100, 0.02, SLOWER_NEW),
  {
    name: 'both sides blip 30s (40% errors, 4x latency)', healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: (s) => (s >= 200 && s < 230 ? { requestsPerSecond: 100, errorRate: 0.4, latency: BLIP_LATENCY } : { requestsPerSecond: 100, errorRate: 0.02, latency: BASE_LATENCY }),
  },
  {
    name: 'both sides down 10s (100% errors)', healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: (s) => ({ requestsPerSecond: 100, errorRate: s >= 300 && s < 310 ? 1 : 0.02, latency: BASE_LATENCY }),
  },
  { ...steady('metrics gap 90s', 100, 0.02), gap: [300, 390] },
];

export const REGRESSIONS: Scenario[] = [
  regression('new errors x10 (2% -> 20%), 100 rps', 100, 0.02, () => ({ errorRate: 0.2 }), 10),
  regression('new errors x5 (2% -> 10%), 100 rps', 100, 0.02, () => ({ errorRate: 0.1 }), 10),
  regression('new errors x2 (2% -> 4%), 100 rps', 100, 0.02, () => ({ errorRate: 0.04 }), 60),
  regression('new errors x2 (5% -> 10%), 100 rps', 100, 0.05, () => ({ errorRate: 0.1 }), 60),
  regression('new errors x2 (1% -> 2%), 100 rps', 100, 0.01, () => ({ errorRate: 0.02 })),
  regression('new p99 +300ms, 100 rps', 100, 0.02, () => ({ latency: logNormal(40, 0.5, 300) }), 30),
  regression('new slow burn 2% -> 12% over 5 min', 100, 0.02, (t) => ({ errorRate: 0.02 + Math.min(t / 300, 1) * 0.1 })),
  regression('new down (100% errors), 100 rps', 100, 0.02, () => ({ errorRate: 1 }), 1),
  regression('low traffic 5 rps, new errors x10 (1% -> 10%)', 5, 0.01, () => ({ errorRate: 0.1 })),
];

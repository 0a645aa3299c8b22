import type { Side } from '../../src/domain/message.js';
import { logNormal, type LatencyModel } from './latency-model.js';

/** What one side does in one second of a scenario, on one instance. */
export interface SideBehaviour {
  /** Fleet-wide; each instance takes its share. */
  requestsPerSecond: number;
  errorRate: number;
  latency: LatencyModel;
  /** Variance of a second's failures over the binomial variance (bursts); 1 = none. */
  dispersion?: number;
}

export interface Scenario {
  name: string;
  /** A healthy scenario beyond the list, reported apart: its false rollbacks are a figure, not the target. */
  stress?: boolean;
  /** Healthy scenarios count false rollbacks; the others, time to detect. */
  healthy: boolean;
  durationSeconds: number;
  /** Gateways sharing the traffic, each with its own in-process failure streak. */
  instances?: number;
  /** When the regression starts (detection time is measured from here). */
  regressionAt?: number;
  /** Seconds whose fleet sample never reaches the guard (a metrics gap). */
  gap?: [from: number, to: number];
  behaviour(second: number, side: Side, instance: number): SideBehaviour;
  /** Targets (s) for the PASS/MISS column: median and worst over the seeds. */
  target?: { p50: number; max: number };
  /** The guard before v2 (mSPRT, fixed p99 rule), 2026-11-27, for comparison: p50 / max seconds. */
  before?: string;
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

function regression(name: string, rps: number, base: number, after: (s: number) => Partial<SideBehaviour>, target?: Scenario['target'], before?: string): Scenario {
  return {
    name, healthy: false, durationSeconds: TEN_MINUTES, regressionAt: REGRESSION_AT, target, before,
    behaviour: (s, side) => ({
      requestsPerSecond: rps, errorRate: base, latency: BASE_LATENCY,
      ...(side === 'new' && s >= REGRESSION_AT ? after(s - REGRESSION_AT) : {}),
    }),
  };
}

/** 20 to 500 req/s and back over the run: a day's swing squeezed into ten minutes. */
const diurnal = (s: number) => 260 - 240 * Math.cos((2 * Math.PI * s) / TEN_MINUTES);

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
  {
    name: 'bursty errors, dispersion x3 on both sides', healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: () => ({ requestsPerSecond: 100, errorRate: 0.02, latency: BASE_LATENCY, dispersion: 3 }),
  },
  {
    name: "deploy-like step of old's errors 2% -> 4%", healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: (s, side) => ({ requestsPerSecond: 100, errorRate: side === 'old' && s >= 180 ? 0.04 : 0.02, latency: BASE_LATENCY }),
  },
  {
    name: 'both sides step 2% -> 4% at once (a shared change)', healthy: true, stress: true, durationSeconds: TEN_MINUTES,
    behaviour: (s) => ({ requestsPerSecond: 100, errorRate: s >= 180 ? 0.04 : 0.02, latency: BASE_LATENCY }),
  },
  {
    name: 'diurnal traffic 20-500 rps, 2% errors', healthy: true, durationSeconds: TEN_MINUTES,
    behaviour: (s) => ({ requestsPerSecond: diurnal(s), errorRate: 0.02, latency: BASE_LATENCY }),
  },
  {
    name: 'one instance of four failing alone (both sides)', healthy: true, durationSeconds: TEN_MINUTES, instances: 4,
    behaviour: (s, _side, instance) => ({ requestsPerSecond: 100, errorRate: instance === 3 && s >= 180 ? 1 : 0.02, latency: BASE_LATENCY }),
  },
];

export const REGRESSIONS: Scenario[] = [
  regression('new errors x10 (2% -> 20%), 100 rps', 100, 0.02, () => ({ errorRate: 0.2 }), undefined, '3 / 4'),
  regression('new errors x5 (2% -> 10%), 100 rps', 100, 0.02, () => ({ errorRate: 0.1 }), { p50: 4, max: 8 }, '4 / 10'),
  regression('new errors x2 (2% -> 4%), 100 rps', 100, 0.02, () => ({ errorRate: 0.04 }), { p50: 20, max: 60 }, '42 / 90'),
  regression('new errors x2 (5% -> 10%), 100 rps', 100, 0.05, () => ({ errorRate: 0.1 }), { p50: 12, max: 25 }, '19 / 34'),
  regression('new errors x2 (1% -> 2%), 100 rps', 100, 0.01, () => ({ errorRate: 0.02 }), { p50: 40, max: 90 }, '87 / 178'),
  regression('new p99 +300ms, 100 rps', 100, 0.02, () => ({ latency: logNormal(40, 0.5, 300) }), { p50: 5, max: 10 }, '5 / 7'),
  regression('new slow burn 2% -> 12% over 5 min', 100, 0.02, (t) => ({ errorRate: 0.02 + Math.min(t / 300, 1) * 0.1 }), { p50: 60, max: 90 }, '77 / 104'),
  regression('new down (100% errors), 100 rps', 100, 0.02, () => ({ errorRate: 1 }), { p50: 1, max: 1 }, '0.2 / 0.3'),
  regression('low traffic 5 rps, new errors x10 (1% -> 10%)', 5, 0.01, () => ({ errorRate: 0.1 }), undefined, '37 / 64'),
];

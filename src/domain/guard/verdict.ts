import { lowerBound } from './event-counts.js';
import { rateLogLikelihoodRatio } from './rate-test.js';
import { checkErrors, checkLatency, type RatioCheck } from './ratio-checks.js';
import type { GuardRules } from './guard-rules.js';
import type { Totals, TrafficSeries } from './traffic-series.js';
import { quantileOf } from './window.js';

export type Verdict = 'healthy' | 'hold' | 'breach' | 'rollback';

export type RuleName =
  | 'min-samples' | 'error-rate' | 'error-rate-increase' | 'p99' | 'latency-test' | 'error-test' | 'tripwire' | 'no-data-cap';

export interface RuleCheck {
  rule: RuleName;
  status: 'ok' | 'breach' | 'fired' | 'shared' | 'n/a';
  value: number;
  limit: number;
  /** Seconds in a row the rule has been breached (for the limits). */
  consecutive?: number;
}

export interface SideFigures {
  requests: number;
  errorRate: number;
  p99Ms: number;
}

export interface GuardReport {
  verdict: Verdict;
  /** One line with the numbers: what fired or why it holds. */
  reason: string;
  rule?: RuleName;
  /** Last closed second judged. */
  second: number;
  old: SideFigures;
  new: SideFigures;
  /** The error test's CUSUM: its evidence (nats), threshold, and the run of seconds it holds. */
  sequential: { logLikelihoodRatio: number; threshold: number; testStart: number | null; newRequests: number; oldRequests: number };
  checks: RuleCheck[];
}

export interface VerdictInput {
  /** The fleet's traffic by second (closed seconds only; gaps count as no traffic). */
  series: TrafficSeries;
  /** The last closed second to judge. */
  now: number;
  /** Only traffic from this second on counts (the current step began then). */
  since: number;
  rules: GuardRules;
}

/**
 * The guard's decision, as a pure function of the fleet's recent traffic. Stateless on purpose:
 * every instance that reads the same seconds reaches the same verdict, a restarted instance
 * needs no memory, and "N breaches in a row" is the same rule checked at N successive seconds.
 */
export function judge(input: VerdictInput): GuardReport {
  const { series, now, since, rules } = input;
  const from = (windowSeconds: number, at = now) => Math.max(since, at - windowSeconds + 1);
  const figures = (side: 'old' | 'new'): SideFigures => {
    const judged = series.totals(side, from(rules.judgeWindowSeconds), now);
    return { requests: judged.requests, errorRate: rate(judged), p99Ms: quantileOf(series.histogram(side, from(rules.latencyWindowSeconds), now), 0.99) };
  };
  const old = figures('old');
  const fresh = figures('new');
  const judgeNew = series.totals('new', from(rules.judgeWindowSeconds), now);
  const checks: RuleCheck[] = [];

  const errors = checkErrors(series, now, since, rules);
  const latency = checkLatency(series, now, since, rules);
  const tripwire = checkTripwire(series, now, since, rules, errors.dispersion);
  checks.push(tripwire.check, ratioCheck('error-test', errors), ratioCheck('latency-test', latency));
  const e = errors.result;
  const sequential = { logLikelihoodRatio: e?.statistic ?? 0, threshold: e?.threshold ?? Number.POSITIVE_INFINITY, testStart: e?.runStart ?? null, newRequests: e?.new.requests ?? 0, oldRequests: e?.old.requests ?? 0 };
  const report = (verdict: Verdict, reason: string, rule?: RuleName): GuardReport => ({
    verdict, reason, rule, second: now, old, new: fresh, sequential, checks,
  });

  if (tripwire.check.status === 'fired') return report('rollback', `tripwire: ${tripwire.detail}`, 'tripwire');
  if (errors.fired) return report('rollback', `error test: ${errors.detail}`, 'error-test');
  if (latency.fired) return report('rollback', `latency test: ${latency.detail}`, 'latency-test');

  if (judgeNew.requests < rules.minSamples) {
    checks.push({ rule: 'min-samples', status: 'breach', value: judgeNew.requests, limit: rules.minSamples });
    const starvedFor = secondsWithoutData(series, now, since, rules);
    if (rules.noDataRollbackAfterSeconds > 0 && starvedFor >= rules.noDataRollbackAfterSeconds) {
      checks.push({ rule: 'no-data-cap', status: 'fired', value: starvedFor, limit: rules.noDataRollbackAfterSeconds });
      return report('rollback', `no judgeable new-side traffic for ${starvedFor}s (cap ${rules.noDataRollbackAfterSeconds}s)`, 'no-data-cap');
    }
    return report('hold', `too little data: ${judgeNew.requests} new-side requests in ${rules.judgeWindowSeconds}s, need ${rules.minSamples}`, 'min-samples');
  }
  checks.push({ rule: 'min-samples', status: 'ok', value: judgeNew.requests, limit: rules.minSamples });

  // The limits, each checked at the last N seconds: N in a row rolls back, fewer holds.
  const limitChecks = LIMITS.map((limit) => {
    let consecutive = 0;
    let current: { value: number; status: RuleCheck['status'] } | undefined;
    for (let k = 0; k < rules.consecutiveBreaches; k++) {
      const at = now - k;
      const outcome = limit.check(series, from(limit.window(rules), at), at, rules);
      current ??= outcome;
      if (outcome.status !== 'breach') break;
      consecutive++;
    }
    const check: RuleCheck = { rule: limit.rule, status: current!.status, value: current!.value, limit: limit.limit(rules), consecutive };
    checks.push(check);
    return check;
  });
  const fired = limitChecks.find((c) => c.status === 'breach' && (c.consecutive ?? 0) >= rules.consecutiveBreaches);
  if (fired) {
    return report('rollback', `${fired.rule} ${formatValue(fired)} over limit ${formatLimit(fired)} for ${fired.consecutive}s in a row (old: ${pct(old.errorRate)} errors, p99 ${ms(old.p99Ms)}; new: ${pct(fresh.errorRate)} errors, p99 ${ms(fresh.p99Ms)}; ${fresh.requests} new requests)`, fired.rule);
  }
  const breached = limitChecks.find((c) => c.status === 'breach');
  if (breached) return report('breach', `${breached.rule} ${formatValue(breached)} over ${formatLimit(breached)} (${breached.consecutive}/${rules.consecutiveBreaches}s)`, breached.rule);
  const shared = limitChecks.find((c) => c.status === 'shared');
  if (shared) return report('hold', `${shared.rule} ${formatValue(shared)} over ${formatLimit(shared)} on both sides: a vendor-wide blip, rolling back would not help`, shared.rule);
  return report('healthy', `new ${pct(fresh.errorRate)} errors, p99 ${ms(fresh.p99Ms)} vs old ${pct(old.errorRate)}, p99 ${ms(old.p99Ms)} over ${fresh.requests} requests`);
}

interface Limit {
  rule: RuleName;
  window(rules: GuardRules): number;
  limit(rules: GuardRules): number;
  check(series: TrafficSeries, from: number, to: number, rules: GuardRules): { value: number; status: RuleCheck['status'] };
}

const LIMITS: Limit[] = [
  {
    rule: 'error-rate',
    window: (r) => r.judgeWindowSeconds,
    limit: (r) => r.maxErrorRate,
    check(series, from, to, rules) {
      const fresh = series.totals('new', from, to);
      const value = rate(fresh);
      if (fresh.requests < rules.minSamples || value <= rules.maxErrorRate) return { value, status: 'ok' };
      return { value, status: overLimit(value, rate(series.totals('old', from, to)), rules) };
    },
  },
  {
    rule: 'error-rate-increase',
    window: (r) => r.judgeWindowSeconds,
    limit: (r) => r.maxErrorRateIncrease,
    check(series, from, to, rules) {
      const fresh = series.totals('new', from, to);
      const value = rate(fresh) - rate(series.totals('old', from, to));
      return { value, status: fresh.requests >= rules.minSamples && value > rules.maxErrorRateIncrease ? 'breach' : 'ok' };
    },
  },
  {
    rule: 'p99',
    window: (r) => r.latencyWindowSeconds,
    limit: (r) => r.maxP99Ms,
    check(series, from, to, rules) {
      const fresh = series.histogram('new', from, to);
      const value = quantileOf(fresh, 0.99);
      if (total(fresh) < rules.latencyMinSamples || !(value > rules.maxP99Ms)) return { value, status: 'ok' };
      return { value, status: overLimit(value, quantileOf(series.histogram('old', from, to), 0.99), rules) };
    },
  },
];

/** An absolute limit new is over: a breach, unless old is about as bad (then rolling back would not help). */
function overLimit(newValue: number, oldValue: number, rules: GuardRules): RuleCheck['status'] {
  return oldValue * rules.sharedFactor >= newValue ? 'shared' : 'breach';
}

/**
 * Fast path: in a short window, is new's error count beyond what chance allows if its true rate
 * were margin × max(old's rate, floor)? Chernoff bound on the tail: P(X ≥ k) ≤ exp(−n·KL(k/n ‖ p0))
 * for the binomial (the negative binomial's exponent when old's failures are bursty); it fires
 * when that bound is below alphaPerCheck.
 */
function checkTripwire(series: TrafficSeries, now: number, since: number, rules: GuardRules, dispersion: number) {
  const { tripwire } = rules;
  const limit = Math.log(1 / tripwire.alphaPerCheck);
  let best = { value: 0, detail: '' };
  for (const windowSeconds of tripwire.windowsSeconds) {
    const from = Math.max(since, now - windowSeconds + 1);
    const fresh = series.totals('new', from, now);
    if (fresh.requests < tripwire.minSamples) continue;
    // The bar follows old over the judge window, and over the same short window when old is
    // clearly failing too (a shared blip): the short rate's lower bound, so its noise cannot raise the bar.
    const oldShortTotals = series.totals('old', from, now);
    const oldShort = lowerBound(oldShortTotals.errors, oldShortTotals.requests, dispersion);
    const oldLong = rate(series.totals('old', Math.max(since, now - rules.judgeWindowSeconds + 1), now));
    const p0 = Math.min(0.999, tripwire.margin * Math.max(oldShort, oldLong, tripwire.floorErrorRate));
    const observed = fresh.errors / fresh.requests;
    // The Chernoff exponent of the binomial, or with bursts of the negative binomial: its tail is heavier.
    const evidence = observed > p0 ? rateLogLikelihoodRatio(fresh.errors, fresh.requests, p0, observed / p0, dispersion) : 0;
    if (evidence > best.value) {
      best = { value: evidence, detail: `${fresh.errors}/${fresh.requests} new-side failures in ${windowSeconds}s (${pct(observed)}) against a bar of ${pct(p0)} (old ${pct(Math.max(oldShort, oldLong))}), evidence ${evidence.toFixed(1)} ≥ ${limit.toFixed(1)}` };
    }
  }
  const check: RuleCheck = { rule: 'tripwire', status: best.value >= limit ? 'fired' : 'ok', value: best.value, limit };
  return { check, detail: best.detail };
}

function ratioCheck(rule: RuleName, check: RatioCheck): RuleCheck {
  if (!check.result) return { rule, status: 'n/a', value: 0, limit: 0 };
  return { rule, status: check.fired ? 'fired' : 'ok', value: check.result.statistic, limit: check.result.threshold };
}

/** How long (s) the judge window has been short of samples, looking back from now. */
function secondsWithoutData(series: TrafficSeries, now: number, since: number, rules: GuardRules): number {
  const cap = rules.noDataRollbackAfterSeconds;
  if (cap <= 0) return 0;
  let seconds = 0;
  for (let at = now; at >= Math.max(since, now - cap); at--) {
    if (series.totals('new', at - rules.judgeWindowSeconds + 1, at).requests >= rules.minSamples) break;
    seconds++;
  }
  return seconds;
}


const rate = (t: Totals) => (t.requests === 0 ? 0 : t.errors / t.requests);
const total = (histogram: number[]) => histogram.reduce((a, b) => a + b, 0);
const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}ms` : 'n/a');
const formatValue = (c: RuleCheck) => (c.rule.startsWith('p99') ? ms(c.value) : pct(c.value));
const formatLimit = (c: RuleCheck) => (c.rule.startsWith('p99') ? ms(c.limit) : pct(c.limit));

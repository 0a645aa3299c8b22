import { availableParallelism, cpus } from 'node:os';
import { DEFAULT_STREAK_RULES } from '../src/domain/guard/failure-streak.js';
import { loadConfig } from '../src/config/load-config.js';
import { HEALTHY, REGRESSIONS, type Scenario } from './guard/scenarios.js';
import { simulate } from './guard/simulate.js';

/**
 * `npm run bench:guard`: seeded synthetic traffic through the real guard code. Prints, per scenario,
 * how many runs rolled back, the time to detect, and false rollbacks over the healthy runs.
 * Options: --healthy-seeds N (default 1000 per healthy scenario), --seeds N (default 200 per regression).
 */
function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const healthySeeds = option('--healthy-seeds', 1000);
const regressionSeeds = option('--seeds', 200);
// The rules a gateway runs with by default (config defaults), not a copy tuned for the bench.
const defaults = loadConfig({ env: {} }).guard;
const rules = defaults.rules;
const streakRules = { ...DEFAULT_STREAK_RULES, consecutiveFailures: defaults.streakFailures };

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function run(scenario: Scenario, seeds: number) {
  const results = Array.from({ length: seeds }, (_, seed) => simulate(scenario, seed + 1, rules, streakRules));
  const rolled = results.filter((r) => r.rolledBack);
  const times = rolled.map((r) => r.at!);
  const rules_ = new Map<string, number>();
  for (const r of rolled) rules_.set(r.rule!, (rules_.get(r.rule!) ?? 0) + 1);
  return { seeds, rolled: rolled.length, times, byRule: [...rules_].map(([k, v]) => `${k}:${v}`).join(' ') };
}

const started = Date.now();
console.log(`guard simulation — ${new Date().toISOString()} — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}`);
console.log(`rules: judge ${rules.judgeWindowSeconds}s, min ${rules.minSamples} samples, ${rules.consecutiveBreaches} breaches in a row, mSPRT tau ${rules.tau} alpha/h ${rules.alphaPerHour}, tests every ${rules.testRestartSeconds}s; streak ${streakRules.consecutiveFailures}`);
console.log('');
const pad = (text: string, width: number) => text.padEnd(width);
let falseRollbacks = 0;
let healthyRuns = 0;
console.log(pad('healthy scenario (10 min each)', 48) + pad('runs', 7) + pad('false rollbacks', 17) + 'by rule');
for (const scenario of HEALTHY) {
  const result = run(scenario, healthySeeds);
  falseRollbacks += result.rolled;
  healthyRuns += result.seeds;
  console.log(pad(scenario.name, 48) + pad(String(result.seeds), 7) + pad(String(result.rolled), 17) + result.byRule);
}
console.log(`${pad('all healthy runs', 48)}${pad(String(healthyRuns), 7)}${pad(String(falseRollbacks), 17)}target 0: ${falseRollbacks === 0 ? 'PASS' : 'MISS'}`);
console.log('');
console.log(pad('regression (starts at 2:00)', 48) + pad('runs', 7) + pad('detected', 10) + pad('p50 s', 8) + pad('p95 s', 8) + pad('max s', 8) + pad('target', 10) + 'by rule');
for (const scenario of REGRESSIONS) {
  const result = run(scenario, regressionSeeds);
  const max = result.times.length ? Math.max(...result.times) : Number.NaN;
  const target = scenario.detectWithinSeconds;
  const verdict = target === undefined ? '(report)' : result.rolled === result.seeds && max <= target ? `≤${target}s PASS` : `≤${target}s MISS`;
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
  console.log(pad(scenario.name, 48) + pad(String(result.seeds), 7) + pad(`${result.rolled}`, 10) + pad(fmt(quantile(result.times, 0.5)), 8) + pad(fmt(quantile(result.times, 0.95)), 8) + pad(fmt(max), 8) + pad(verdict, 10) + result.byRule);
}
console.log('');
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

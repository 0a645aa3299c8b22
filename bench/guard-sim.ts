import { availableParallelism, cpus } from 'node:os';
import { DEFAULT_STREAK_RULES } from '../src/domain/guard/failure-streak.js';
import { loadConfig } from '../src/config/load-config.js';
import { evaluationCost } from './guard/evaluation-cost.js';
import { measureFalseRollbackRate } from './guard/false-rollback-rate.js';
import { HEALTHY, REGRESSIONS, type Scenario } from './guard/scenarios.js';
import { simulate } from './guard/simulate.js';

/**
 * `npm run bench:guard`: seeded synthetic traffic through the real guard code. Prints, per scenario,
 * how many runs rolled back, the time to detect, false rollbacks over the healthy runs, the
 * false-rollback rate per hour measured by extrapolation, and the CPU an evaluation costs.
 * Options: --healthy-seeds N (default 200 per healthy scenario), --seeds N (default 200 per
 * regression), --rate-hours N (hours of healthy traffic at the smallest raise; default 100), --only
 * healthy,regressions,rate,cost, --match TEXT (only the scenarios whose name holds it).
 */
function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const onlyAt = process.argv.indexOf('--only');
const only = new Set(onlyAt > 0 ? process.argv[onlyAt + 1]!.split(',') : ['healthy', 'regressions', 'rate', 'cost']);

const matchAt = process.argv.indexOf('--match');
const matches = (scenario: Scenario) => matchAt < 0 || scenario.name.includes(process.argv[matchAt + 1]!);
const healthySeeds = option('--healthy-seeds', 200);
const regressionSeeds = option('--seeds', 200);
const rateHours = option('--rate-hours', 100);
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
  const byRule = new Map<string, number>();
  for (const r of rolled) byRule.set(r.rule!, (byRule.get(r.rule!) ?? 0) + 1);
  return { seeds, rolled: rolled.length, times, byRule: [...byRule].map(([k, v]) => `${k}:${v}`).join(' ') };
}

const started = Date.now();
const pad = (text: string, width: number) => text.padEnd(width);
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
console.log(`guard simulation — ${new Date().toISOString()} — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}`);
console.log(`rules: error test x${rules.errorTest.ratios.join('/x')} against old's ${rules.errorTest.historySeconds}s history (veto ${rules.errorTest.vetoWindows.map((w) => `${w.seconds}s@${w.sigmas}σ`).join(' ')}, old's own CUSUM ≥ ${rules.errorTest.vetoEvidence}, ${rules.errorTest.vetoLookbackSeconds}s back), latency test x${rules.latencyTest.ratio} past old's p99 + ${rules.maxP99IncreaseMs}ms, alpha/h ${rules.alphaPerHour} (error share ${rules.errorShareOfAlpha}), calibration ${rules.calibration.againstHistory} against history / ${rules.calibration.sameSecond} same second; tripwire ${rules.tripwire.alphaPerCheck}/check; streak ${streakRules.consecutiveFailures}`);
console.log('');

if (only.has('healthy')) {
  const totals = { target: { runs: 0, rolled: 0 }, stress: { runs: 0, rolled: 0 } };
  console.log(pad('healthy scenario (10 min each, after 15 min of history)', 58) + pad('runs', 7) + pad('false rollbacks', 17) + 'by rule');
  for (const scenario of HEALTHY.filter(matches)) {
    const result = run(scenario, healthySeeds);
    const into = scenario.stress ? totals.stress : totals.target;
    into.runs += result.seeds;
    into.rolled += result.rolled;
    console.log(pad(scenario.name + (scenario.stress ? ' *' : ''), 58) + pad(String(result.seeds), 7) + pad(String(result.rolled), 17) + result.byRule);
  }
  console.log(`${pad('all healthy runs (without *)', 58)}${pad(String(totals.target.runs), 7)}${pad(String(totals.target.rolled), 17)}target 0: ${totals.target.rolled === 0 ? 'PASS' : 'MISS'}`);
  if (totals.stress.runs > 0) console.log(`${pad('* beyond the target: old moves with new at once', 58)}${pad(String(totals.stress.runs), 7)}${pad(String(totals.stress.rolled), 17)}(report)`);
  console.log('');
}

if (only.has('regressions')) {
  console.log(pad('regression (starts at 2:00)', 48) + pad('runs', 6) + pad('found', 7) + pad('p50 s', 7) + pad('p95 s', 7) + pad('max s', 7) + pad('target p50/max', 22) + pad('before v2', 11) + 'by rule');
  for (const scenario of REGRESSIONS.filter(matches)) {
    const result = run(scenario, regressionSeeds);
    const p50 = quantile(result.times, 0.5);
    const max = result.times.length ? Math.max(...result.times) : Number.NaN;
    const target = scenario.target;
    const verdict = !target ? '(report)' : `≤${target.p50} / ≤${target.max} ${result.rolled === result.seeds && p50 <= target.p50 && max <= target.max ? 'PASS' : 'MISS'}`;
    console.log(pad(scenario.name, 48) + pad(String(result.seeds), 6) + pad(`${result.rolled}`, 7) + pad(fmt(p50), 7) + pad(fmt(quantile(result.times, 0.95)), 7) + pad(fmt(max), 7) + pad(verdict, 22) + pad(scenario.before ?? '', 11) + result.byRule);
  }
  console.log('');
}

if (only.has('rate')) {
  console.log(`false rollbacks per hour of healthy watching, all rules together, at budget ${rules.alphaPerHour}/h (extrapolated from raised budgets)`);
  const factors = [3_000, 1_000, 300];
  const rateScenarios = [HEALTHY[0]!, HEALTHY.find((s) => s.name.startsWith('bursty'))!, HEALTHY.find((s) => s.name.startsWith('diurnal'))!, HEALTHY[3]!];
  for (const scenario of rateScenarios.filter(matches)) {
    const measured = measureFalseRollbackRate(scenario, rules, streakRules, factors, (f) => (rateHours * 300) / f, 101);
    const points = measured.points.map((p) => `${p.rollbacks} in ${fmt(p.hours)} h at ${p.alphaPerHour}/h${p.rollbacks ? ` (${[...p.byRule].map(([r, n]) => `${r}:${n}`).join(' ')})` : ''}`).join('; ');
    const ok = measured.atBudget <= rules.alphaPerHour ? 'PASS' : 'MISS';
    console.log(`  ${pad(scenario.name, 48)} ${measured.atBudget.toExponential(1)}/h (slope ${measured.slope.toFixed(2)}; 90 % upper ${measured.upper90.toExponential(1)}) target ≤ ${rules.alphaPerHour}: ${Number.isFinite(measured.atBudget) ? ok : 'n/a'} — ${points}`);
  }
  console.log('');
}

if (only.has('cost')) {
  const eightInstances: Scenario = { ...HEALTHY[0]!, name: '8 instances x 100 rps', instances: 8, behaviour: (s, side, i) => ({ ...HEALTHY[0]!.behaviour(s, side, i), requestsPerSecond: 800 }) };
  const cost = evaluationCost(eightInstances, rules, 600);
  console.log(`guard cost per instance per second (one evaluation: the new seconds into the rolling series of ${Math.max(rules.errorTest.historySeconds, rules.errorTest.memorySeconds)} s, and judge), fleet of 8 x 100 rps: ${(cost.microsPerEvaluation / 1000).toFixed(3)} ms CPU (target ≤ 1 ms)`);
  console.log('');
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

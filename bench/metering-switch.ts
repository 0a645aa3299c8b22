/**
 * What metering adds to a request, read inside one gateway: bench/metering-switch-server.ts turns
 * its meter off and on every 250 ms under wrk's load, and each pair of adjacent slices gives one
 * figure. A pair of gateway processes cannot resolve this: two processes of one build differ by
 * several percent for their whole life. Several processes, each a new draw; the verdict is the
 * 90 % interval of their medians. See bench/README.md, "Metering".
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, medianInterval } from './support/median-interval.js';
import { SWITCH_REPORT_PREFIX, switchEstimate, type SwitchEstimate, type SwitchReport } from './support/switch-slices.js';
import { fixed } from './support/table.js';
import { judgeMetering, measure, startTarget, TARGETS, type SendBenchOptions, type SendRow } from './send-throughput.js';

export const SLICE_MS = 250;

export interface SwitchRun {
  control: boolean;
  estimate: SwitchEstimate;
  row: SendRow;
}

/**
 * `processes` gateways with the switch, then one more as the control (A/A); each measured for
 * twice the run length. Runs are pushed into `runs` as each finishes, for a caller to print if a later one fails.
 */
export async function runMeteringSwitch(options: SendBenchOptions, processes: number, runs: SwitchRun[] = []): Promise<SwitchRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-switch-'));
  try {
    for (let n = 1; n <= processes + 1; n++) {
      const control = n > processes;
      const reportFile = join(dir, `switch-${n}.json`);
      const target = await startTarget('embedded', options, {
        name: `cutover (metering switch${control ? ', control' : ''})`, script: 'dist/bench/metering-switch-server.js',
        env: { BENCH_SLICE_MS: String(SLICE_MS), BENCH_SWITCH_CONTROL: control ? '1' : '0', BENCH_SWITCH_REPORT: reportFile },
      });
      try {
        const durationS = options.durationS * 2;
        options.log(`send: metering switch ${control ? 'control (A/A)' : `${n}/${processes}`}: ${options.warmupS}s warm-up + ${durationS}s, the meter switched every ${SLICE_MS} ms`);
        const signal = (name: NodeJS.Signals) => () => {
          target.child.process.kill(name);
        };
        const row = await measure(target, n, options.warmupS, { ...options, durationS }, { onMeasureStart: signal('SIGUSR1'), onMeasureEnd: signal('SIGUSR2') });
        const report = await readReport(reportFile);
        runs.push({ control, estimate: switchEstimate(report), row });
      } finally {
        await target.child.stop();
      }
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readReport(file: string): Promise<SwitchReport> {
  for (let waited = 0; !existsSync(file); waited += 50) {
    if (waited >= 5_000) throw new Error(`the metering switch server wrote no report to ${file} within 5 s of SIGUSR2`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(SWITCH_REPORT_PREFIX)) throw new Error(`unexpected metering switch report: ${text.slice(0, 200)}`);
  return JSON.parse(text.slice(SWITCH_REPORT_PREFIX.length)) as SwitchReport;
}

/** The verdict over the switched processes' medians, then the control's own interval, then any failed run. */
export function meteringSwitchVerdict(runs: readonly SwitchRun[]): string[] {
  const percent = (value: number): string => `${fixed(value * 100, 1)} %`;
  const lines: string[] = [];
  const measured = runs.filter((r) => !r.control && r.estimate.added.length > 0);
  if (measured.length > 0) {
    const medians = measured.map((r) => median(r.estimate.added));
    const interval = medianInterval(medians);
    const range = interval ? `90 % interval ${percent(interval.low)} … ${percent(interval.high)}` : 'too few processes for an interval (5 or more)';
    lines.push(`${judgeMetering(interval, false)}  metering: a request costs ${percent(median(medians))} more gateway CPU with the meter on, in one gateway switching it every ${SLICE_MS} ms, median of ${measured.length} process(es), ${range} (target ≤ ${TARGETS.meteringAdded * 100} %)`);
    lines.push(`      per process, the median of its slice pairs: ${medians.map(percent).join(', ')}; pooled (CPU over messages, per state): ${measured.map((r) => percent(r.estimate.pooled)).join(', ')}; the flushes charged to metering`);
  }
  for (const run of runs.filter((r) => r.control && r.estimate.added.length > 0)) {
    const interval = medianInterval(run.estimate.added);
    const range = interval ? `90 % interval ${percent(interval.low)} … ${percent(interval.high)}` : 'too few slice pairs for an interval';
    lines.push(`${judgeMetering(interval, true)}  metering switch control (A/A, metered in both states): reads ${percent(median(run.estimate.added))}, median of ${run.estimate.added.length} slice pairs, ${range} (expected: an interval holding 0)`);
  }
  for (const run of runs) {
    if (run.row.failure !== undefined) lines.push(`FAIL  ${run.row.label} (metering switch ${run.row.round}): the checks after the run failed: ${run.row.failure}`);
    else if (run.row.errors + run.row.timeouts + run.row.non2xx > 0) lines.push(`MISS  metering switch ${run.row.round}: errors ${run.row.errors}, timeouts ${run.row.timeouts}, non-2xx ${run.row.non2xx}`);
    else if (run.estimate.added.length === 0) lines.push(`MISS  metering switch ${run.row.round}: no slice pair was kept (${run.estimate.dropped} slices dropped)`);
  }
  return lines;
}

import { join } from 'node:path';
import { PROJECT_ROOT, pinned, spawnChild } from './processes.js';

export interface LoadOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  connections: number;
  /** Whole seconds (wrk takes no fractions). */
  durationS: number;
  /** Whole seconds; 0 skips the warm-up. */
  warmupS: number;
  /** Sent as a bearer token with every request, to every server (the bare one ignores it), so the load generator does the same work for each. */
  token: string;
  /** The CPU wrk is pinned to (taskset), or undefined to leave it unpinned. */
  cpu: number | undefined;
}

export interface LoadResult {
  /** Completed 2xx requests per second over the measured run. */
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  completed: number;
  ok2xx: number;
  non2xx: number;
  /** wrk's socket errors: connect, read and write. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** CPU wrk itself used per completed request (its process time over its run). */
  loadCpuUs: number;
}

/** Distinct recipients and senders: routing, bucketing and (Redis) sharding see a real spread. */
export const USER_IDS = 10_000;

/** The Lua script that builds every body (a unique id each) and reports what wrk saw. */
const SCRIPT = join(PROJECT_ROOT, 'bench', 'wrk', 'post-messages.lua');

/** What post-messages.lua's done() prints, on one line after `cutover-wrk `. */
interface WrkReport {
  requests: number;
  duration_us: number;
  statuses: Record<string, number>;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { p50: number; p90: number; p99: number; max: number };
  cpu_s: number;
}

const REPORT_PREFIX = 'cutover-wrk ';

/** Different per wrk run, so a Redis that outlived a run (or the warm-up) never sees a repeated id. */
let runs = 0;
function runTag(): string {
  return `w${Date.now().toString(36)}${(runs++).toString(36)}`;
}

/**
 * One wrk run, one thread (it shares CPU 0 with redis-server), as a child process. Latencies are
 * wrk's, µs resolution, over every response: the PASS line requires every response to be 2xx.
 */
async function runWrk(options: LoadOptions, durationS: number): Promise<WrkReport> {
  if (!Number.isInteger(durationS) || durationS < 1) throw new Error(`wrk runs whole seconds; got ${durationS}`);
  const args = [
    '-t1', `-c${options.connections}`, `-d${durationS}s`, '--timeout', '10s', '--latency', '-s', SCRIPT,
    `${options.baseUrl}/v1/messages`, '--', runTag(), String(USER_IDS), options.token,
  ];
  const child = spawnChild({ name: 'wrk', ...pinned(options.cpu, 'wrk', args) });
  const code = await child.exited();
  const output = child.output();
  const line = output.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
  if (code !== 0 || !line) throw new Error(`wrk ${code !== 0 ? `exited with ${String(code)}` : 'printed no cutover-wrk line'}:\n${output}`);
  return JSON.parse(line.slice(REPORT_PREFIX.length)) as WrkReport;
}

/** A warm-up run (discarded: JIT, pools, the first GCs), then the measured run on the same server. */
export interface LoadHooks {
  /** After the warm-up, right before the measured run. */
  onMeasureStart?: () => Promise<void> | void;
  /** Right after the measured run. */
  onMeasureEnd?: () => Promise<void> | void;
}

export async function loadSends(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  if (options.warmupS > 0) await runWrk(options, options.warmupS);
  await hooks.onMeasureStart?.();
  const report = await runWrk(options, options.durationS);
  await hooks.onMeasureEnd?.();
  let ok2xx = 0;
  for (const [status, count] of Object.entries(report.statuses)) if (Number(status) >= 200 && Number(status) < 300) ok2xx += count;
  const durationS = report.duration_us / 1e6;
  const { errors, latency_us: latency } = report;
  return {
    // The 2xx count over wrk's own wall time.
    reqPerSec: ok2xx / durationS,
    p50Ms: latency.p50 / 1_000,
    p90Ms: latency.p90 / 1_000,
    p99Ms: latency.p99 / 1_000,
    maxMs: latency.max / 1_000,
    completed: report.requests,
    ok2xx,
    non2xx: report.requests - ok2xx,
    errors: errors.connect + errors.read + errors.write,
    timeouts: errors.timeout,
    statusCodes: report.statuses,
    durationS,
    loadCpuUs: (report.cpu_s / report.requests) * 1e6,
  };
}

/**
 * POST /v1/messages under load: bare fastify baseline, Cutover embedded (memory state, outbox and
 * sides), Cutover with the Redis outbox. Each server runs alone in a child process; autocannon
 * (in this process) drives it over loopback. See bench/README.md.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import { cpuSeconds } from './support/cpu.js';
import { loadSends, type LoadHooks, type LoadResult } from './support/load.js';
import { PROJECT_ROOT, killAll, spawnChild, waitReady, type Child } from './support/processes.js';
import { startRedis, type BenchRedis } from './support/redis.js';
import { fixed, table, verdict } from './support/table.js';

export type Scenario = 'bare' | 'embedded' | 'redis';
export const SCENARIOS: readonly Scenario[] = ['bare', 'embedded', 'redis'];

export interface SendBenchOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  scenarios: readonly Scenario[];
  /** When set, children run with --cpu-prof and write `<scenario>.cpuprofile` here. */
  profileDir?: string;
  log: (line: string) => void;
}

export interface SendRow extends LoadResult {
  scenario: Scenario;
  label: string;
  /** CPU the server process used per 2xx reply during the measured run (NaN off Linux). */
  serverCpuUs: number;
  /** The same for redis-server, in the Redis scenario. */
  redisCpuUs?: number;
  notes: string[];
}

/** Measures a process's CPU over the measured run only (not the warm-up, not the drain). */
function cpuMeter(pid: number | undefined): { start(): void; end(): void; perRequestUs(requests: number): number } {
  let startS = Number.NaN;
  let endS = Number.NaN;
  return {
    start: () => { startS = cpuSeconds(pid); },
    end: () => { endS = cpuSeconds(pid); },
    perRequestUs: (requests) => ((endS - startS) / requests) * 1e6,
  };
}

/** The issue's targets: throughput as a share of bare, and the p99 Cutover may add. */
export const TARGETS = { embeddedShare: 0.8, redisShare: 0.5, p99AddedMs: 2 } as const;

const LABELS: Record<Scenario, string> = {
  bare: 'bare fastify + MemoryAdapter',
  embedded: 'cutover embedded (memory)',
  redis: 'cutover + redis outbox',
};

// Only for this throwaway child; 16+ characters as admin.tokens requires.
const ADMIN_TOKEN = 'bench-operator-token-0123456789';

/** Rows are pushed into `rows` as each server finishes, so a caller can still print them if a later one fails. */
export async function runSendBenches(options: SendBenchOptions, rows: SendRow[] = []): Promise<SendRow[]> {
  for (const scenario of SCENARIOS) {
    if (!options.scenarios.includes(scenario)) continue;
    options.log(`send: ${LABELS[scenario]}: ${options.warmupS}s warm-up + ${options.durationS}s at ${options.connections} connections`);
    rows.push(scenario === 'bare' ? await runBare(options) : await runCutover(scenario, options));
  }
  return rows;
}

function nodeArgs(scenario: Scenario, options: SendBenchOptions, script: string): string[] {
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${scenario}.cpuprofile`] : [];
  return [...profile, join(PROJECT_ROOT, script)];
}

/** The parent's env minus any CUTOVER_* settings, so a developer's shell cannot skew a run. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CUTOVER_')) env[key] = value;
  return { ...env, ...extra };
}

async function runBare(options: SendBenchOptions): Promise<SendRow> {
  const port = await freePort();
  const child = spawnChild({
    name: 'bare-server', command: process.execPath, args: nodeArgs('bare', options, 'dist/bench/bare-server.js'),
    env: cleanEnv({ BENCH_PORT: String(port), BENCH_HOST: '127.0.0.1' }),
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitReady(child, `${baseUrl}/readyz`);
    const cpu = cpuMeter(child.process.pid);
    const hooks: LoadHooks = { onMeasureStart: cpu.start, onMeasureEnd: cpu.end };
    const result = await loadSends({ baseUrl, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS }, hooks);
    return { ...result, scenario: 'bare', label: LABELS.bare, serverCpuUs: cpu.perRequestUs(result.ok2xx), notes: [] };
  } finally {
    await child.stop();
  }
}

async function runCutover(scenario: 'embedded' | 'redis', options: SendBenchOptions): Promise<SendRow> {
  let redis: BenchRedis | undefined;
  let child: Child | undefined;
  try {
    if (scenario === 'redis') redis = await startRedis();
    const port = await freePort();
    const env: Record<string, string> = {
      CUTOVER_HOST: '127.0.0.1', CUTOVER_PORT: String(port), CUTOVER_LOG_LEVEL: 'warn',
      CUTOVER_ADMIN_TOKENS: `bench:operator:${ADMIN_TOKEN}`,
    };
    if (redis) env.CUTOVER_REDIS_URL = redis.url;
    child = spawnChild({ name: `cutover (${scenario})`, command: process.execPath, args: nodeArgs(scenario, options, 'dist/src/server.js'), env: cleanEnv(env) });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitReady(child, `${baseUrl}/readyz`);

    // Canary at 50 %: half the users have new as primary, and every message is written to both sides.
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'shadow' });
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'canary' });
    await admin(baseUrl, '/admin/rollout/percent', { percent: 50, force: true, reason: 'bench set-up: canary 50 %' });
    const spread = await preflight(baseUrl);

    let commandsBefore = Number.NaN;
    const cpu = cpuMeter(child.process.pid);
    const redisCpu = cpuMeter(redis?.pid);
    const result = await loadSends(
      { baseUrl, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS },
      {
        onMeasureStart: async () => {
          cpu.start();
          redisCpu.start();
          if (redis) commandsBefore = await redis.commandsProcessed();
        },
        onMeasureEnd: () => {
          cpu.end();
          redisCpu.end();
        },
      },
    );
    const backlog = await outboxOwed(baseUrl);
    const drained = await drainOutbox(baseUrl, 5_000);
    const after = await rolloutState(baseUrl);
    const notes = [
      `rollout canary 50 %: ${spread.newShare} of 200 sample users on new; preflight receipt primary=${spread.primary} secondary=${spread.secondary}`,
      // The guard runs as in production; a rollback mid-run would have changed what was measured.
      after.rollback
        ? `WARNING: rolled back during the run (${after.rollback.trigger}: ${after.rollback.reason}); the numbers are not canary 50 %`
        : `state after the run: ${after.stage} ${after.percent} %, not rolled back (guard on, as by default)`,
      `outbox owed right after the run: ${backlog.old} to old, ${backlog.new} to new; ${drained.owed === 0 ? `drained in ${drained.ms} ms` : `still ${drained.owed} owed after ${drained.ms} ms`}; dead letters ${drained.dead}`,
    ];
    if (redis) {
      const commands = (await redis.commandsProcessed()) - commandsBefore;
      // Includes the drain of the secondaries and the once-a-second state poll: the whole cost per message.
      notes.push(`redis commands per accepted message (incl. secondary delivery): ${fixed(commands / result.ok2xx, 1)}`);
    }
    const row: SendRow = { ...result, scenario, label: LABELS[scenario], serverCpuUs: cpu.perRequestUs(result.ok2xx), notes };
    if (redis) row.redisCpuUs = redisCpu.perRequestUs(result.ok2xx);
    return row;
  } finally {
    await child?.stop();
    await redis?.destroy();
  }
}

async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) as unknown : null };
}

async function admin(baseUrl: string, path: string, body: unknown): Promise<void> {
  const { status, json } = await request(baseUrl, 'POST', path, body);
  if (status !== 200) throw new Error(`POST ${path} ${JSON.stringify(body)} answered ${status}: ${JSON.stringify(json)}`);
}

interface Spread {
  newShare: string;
  primary: string;
  secondary: string;
}

/** One real send and a sample of route lookups: the state is what the bench claims to measure. */
async function preflight(baseUrl: string): Promise<Spread> {
  const send = await request(baseUrl, 'POST', '/v1/messages', { from: 'u1', to: { type: 'user', id: 'u2' }, payload: 'preflight' });
  const receipt = send.json as { primary?: string; secondary?: string | null };
  if (send.status !== 201 || !receipt.secondary) {
    throw new Error(`preflight send answered ${send.status} ${JSON.stringify(send.json)}; expected 201 with a secondary (dual-write)`);
  }
  let onNew = 0;
  const sample = 200;
  for (let i = 0; i < sample; i++) {
    const route = await request(baseUrl, 'GET', `/v1/route/u${i * 50}`);
    if ((route.json as { cohort?: string }).cohort === 'new') onNew++;
  }
  return { newShare: `${Math.round((onNew / sample) * 100)} %`, primary: receipt.primary ?? '?', secondary: receipt.secondary };
}

interface RolloutSummary {
  stage: string;
  percent: number;
  rollback: { trigger: string; reason: string } | null;
}

async function rolloutState(baseUrl: string): Promise<RolloutSummary> {
  const { status, json } = await request(baseUrl, 'GET', '/admin/rollout');
  if (status !== 200) throw new Error(`GET /admin/rollout answered ${status}: ${JSON.stringify(json)}`);
  return (json as { state: RolloutSummary }).state;
}

interface OutboxCounts {
  owed: { old: number; new: number };
  deadLettered: { old: number; new: number };
}

async function outboxCounts(baseUrl: string): Promise<OutboxCounts> {
  const { status, json } = await request(baseUrl, 'GET', '/admin/outbox?deadLetters=0');
  if (status !== 200) throw new Error(`GET /admin/outbox answered ${status}: ${JSON.stringify(json)}`);
  return (json as { counts: OutboxCounts }).counts;
}

async function outboxOwed(baseUrl: string): Promise<{ old: number; new: number }> {
  return (await outboxCounts(baseUrl)).owed;
}

/** Waits until the outbox owes nothing: a send rate the secondaries cannot follow is not a real rate. */
async function drainOutbox(baseUrl: string, timeoutMs: number): Promise<{ owed: number; ms: number; dead: number }> {
  const started = Date.now();
  for (;;) {
    const counts = await outboxCounts(baseUrl);
    const owed = counts.owed.old + counts.owed.new;
    const dead = counts.deadLettered.old + counts.deadLettered.new;
    const ms = Date.now() - started;
    if (owed === 0 || ms >= timeoutMs) return { owed, ms, dead };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The comparison table and the PASS/MISS lines against the issue's targets. */
export function formatSendReport(rows: readonly SendRow[]): string {
  const bare = rows.find((r) => r.scenario === 'bare');
  const header = ['name', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '% of bare', 'p99 +ms vs bare', 'cpu µs/req', 'errors', 'timeouts', 'non-2xx'];
  const body = rows.map((r) => [
    r.label,
    fixed(r.reqPerSec, 0),
    fixed(r.p50Ms, 2),
    fixed(r.p90Ms, 2),
    fixed(r.p99Ms, 2),
    fixed(r.maxMs, 1),
    bare ? `${fixed((r.reqPerSec / bare.reqPerSec) * 100, 1)} %` : 'n/a',
    bare ? `${r.p99Ms - bare.p99Ms >= 0 ? '+' : ''}${fixed(r.p99Ms - bare.p99Ms, 2)}` : 'n/a',
    r.redisCpuUs === undefined ? fixed(r.serverCpuUs, 0) : `${fixed(r.serverCpuUs, 0)}+${fixed(r.redisCpuUs, 0)}`,
    String(r.errors),
    String(r.timeouts),
    String(r.non2xx),
  ]);
  const lines = [table([header, ...body]), ''];
  for (const r of rows) {
    const clean = r.errors === 0 && r.timeouts === 0 && r.non2xx === 0;
    const codes = Object.entries(r.statusCodes).map(([code, count]) => `${code}×${count}`).join(' ');
    lines.push(`${verdict(clean)}  ${r.label}: errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx} (status codes: ${codes || 'none'})`);
    if (r.scenario === 'bare') continue;
    const share = r.scenario === 'embedded' ? TARGETS.embeddedShare : TARGETS.redisShare;
    if (!bare) {
      lines.push(`n/a   ${r.label}: targets need the bare baseline in the same run (add bare to --only)`);
    } else {
      const ratio = r.reqPerSec / bare.reqPerSec;
      const added = r.p99Ms - bare.p99Ms;
      lines.push(`${verdict(ratio >= share)}  ${r.label}: throughput ${fixed(ratio * 100, 1)} % of bare (target ≥ ${share * 100} %)`);
      lines.push(`${verdict(added <= TARGETS.p99AddedMs)}  ${r.label}: p99 added ${fixed(added, 2)} ms vs bare (target ≤ ${TARGETS.p99AddedMs} ms)`);
    }
    for (const note of r.notes) lines.push(`      ${note}`);
  }
  return lines.join('\n');
}

// Standalone: `node dist/bench/send-throughput.js` runs all three with the defaults.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSendBenches({ connections: 50, durationS: 10, warmupS: 2, scenarios: SCENARIOS, log: (l) => process.stderr.write(`${l}\n`) })
    .then((rows) => process.stdout.write(`${formatSendReport(rows)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`send-throughput: ${err instanceof Error ? err.message : String(err)}\n`);
      killAll();
      process.exit(1);
    });
}

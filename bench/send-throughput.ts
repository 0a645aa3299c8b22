/**
 * POST /v1/messages under load: bare fastify baseline, Cutover embedded (memory state, outbox and
 * sides), Cutover with the Redis outbox on one redis-server and on a three-master Redis Cluster.
 * Each server runs alone in a child process; wrk (a child too) drives it over loopback, pinned
 * apart from it when taskset works. See bench/README.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import { cpuSeconds } from './support/cpu.js';
import { loadSends, type LoadHooks, type LoadResult } from './support/load.js';
import { median, medianInterval, type MedianInterval } from './support/median-interval.js';
import { PROJECT_ROOT, killAll, pinned, placement, spawnChild, waitReady, type Child, type Placement } from './support/processes.js';
import { profileShare, type CpuProfile, type ProfileShare } from './support/profile-share.js';
import { commandsBetween, startRedis, startRedisCluster, type CommandCounts, type RedisUnderTest } from './support/redis.js';
import { BENCH_SIDE_MESSAGES } from './support/side-cap.js';
import { fixed, table, verdict } from './support/table.js';

export type Scenario = 'bare' | 'embedded' | 'unmetered' | 'redis' | 'cluster';
export const SCENARIOS: readonly Scenario[] = ['bare', 'embedded', 'unmetered', 'redis', 'cluster'];

export interface SendBenchOptions {
  connections: number;
  durationS: number;
  /** Warm-up of each server's first run (JIT, pools, first GCs); later rounds warm up for a second. */
  warmupS: number;
  /** Rounds of runs; each round runs every server once, in a rotated order. */
  rounds: number;
  scenarios: readonly Scenario[];
  /** Which CPU runs wrk and redis-server, and which the server under test. */
  placement: Placement;
  /** redis.shards of the Cluster row's gateway: the outbox streams its shards spread over the masters. */
  clusterShards: number;
  /** When set, children run with --cpu-prof and write `<scenario>.cpuprofile` here. */
  profileDir?: string;
  /** --cpu-prof-interval, µs (node's default: 1,000). */
  profileIntervalUs?: number;
  /** The metering pair as a control (A/A): its metering-off row runs with metering on too. */
  meteringControl?: boolean;
  log: (line: string) => void;
}

export interface SendRow extends LoadResult {
  scenario: Scenario;
  label: string;
  round: number;
  /** CPU the server process used per 2xx reply during the measured run (NaN off Linux). */
  serverCpuUs: number;
  /** The same for redis-server in the Redis rows, summed over the masters in the Cluster row. */
  redisCpuUs?: number;
  /** Cutover rows: the outbox right after the run and once drained (or the drain's time limit). */
  drain?: { owedAfterRun: number; owed: number; ms: number; dead: number };
  /** Why the checks after the run could not be made (with the server's last log lines); the server is not measured again. */
  failure?: string;
  notes: string[];
}

/** Measures the CPU of some processes, summed, over the measured run only (not the warm-up, not the drain). */
function cpuMeter(pids: ReadonlyArray<number | undefined>): { start(): void; end(): void; perRequestUs(requests: number): number } {
  let startS = Number.NaN;
  let endS = Number.NaN;
  const total = (): number => pids.reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0);
  return {
    start: () => { startS = total(); },
    end: () => { endS = total(); },
    perRequestUs: (requests) => ((endS - startS) / requests) * 1e6,
  };
}

/** The issue's targets: throughput as a share of bare, and the p99 Cutover may add. */
export const TARGETS = { embeddedShare: 0.8, redisShare: 0.5, p99AddedMs: 2, meteringAdded: 0.02 } as const;

const LABELS: Record<Scenario, string> = {
  bare: 'bare fastify + MemoryAdapter',
  embedded: 'cutover embedded (memory)',
  unmetered: 'cutover embedded, metering off',
  redis: 'cutover + redis outbox',
  cluster: 'cutover + redis cluster (3 masters)',
};

// Only for this throwaway child; 16+ characters as admin.tokens and api.tokens require.
const ADMIN_TOKEN = 'bench-operator-token-0123456789';
/** Both Cutover rows check it on every send (embedded too, with api.tokens set); the bare server gets it as well. */
const SERVICE_TOKEN = 'bench-service-token-0123456789';

/**
 * Started anew every round: a gateway's CPU per request differs from an identical one's by several
 * percent for the life of its process, so the metering pair is a new draw each round.
 */
const FRESH_EACH_ROUND: readonly Scenario[] = ['embedded', 'unmetered'];

/** Metering's code: the meter and the usage stores it flushes to (frames of the built files). */
const METERING_CODE = /\/dist\/src\/(services\/usage-meter|infra\/memory\/memory-usage-store|infra\/redis\/redis-usage-store)\.js$/;

/** A server under test, started once and measured in every round (the metering pair: every round anew). */
export interface Target {
  scenario: Scenario;
  baseUrl: string;
  child: Child;
  redis?: RedisUnderTest;
  /** Checked once after set-up: what the rows claim to measure. */
  setupNotes: string[];
  runs: number;
  /** Set when a run's checks failed: later rounds skip it. */
  failed?: boolean;
}

/**
 * Starts every server, then runs `rounds` rounds; each round measures every server once, in an
 * order rotated from round to round, so a slow spell of the machine (2 shared cores) is spread
 * over all of them instead of landing on one. Rows are pushed into `rows` as each run finishes,
 * so a caller can still print them if a later one fails.
 */
export async function runSendBenches(options: SendBenchOptions, rows: SendRow[] = []): Promise<SendRow[]> {
  const targets: Target[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (!options.scenarios.includes(scenario)) continue;
      options.log(`send: starting ${labelOf(scenario, options)}`);
      targets.push(await startTarget(scenario, options));
    }
    for (let round = 1; round <= options.rounds; round++) {
      const shift = (round - 1) % targets.length;
      for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
        if (target.failed) continue;
        if (target.runs > 0 && FRESH_EACH_ROUND.includes(target.scenario)) {
          await target.child.stop();
          Object.assign(target, await startTarget(target.scenario, options));
        }
        const warmupS = target.runs === 0 ? options.warmupS : Math.min(1, options.warmupS);
        options.log(`send: round ${round}/${options.rounds}: ${labelOf(target.scenario, options)}: ${warmupS}s warm-up + ${options.durationS}s at ${options.connections} connections`);
        const row = await measure(target, round, warmupS, options);
        rows.push(row);
        target.runs++;
        if (row.failure !== undefined) {
          // Its outbox may still owe: stopped, so its background work cannot land in another server's runs.
          options.log(`send: ${LABELS[target.scenario]} failed its checks and is not measured again: ${row.failure}`);
          target.failed = true;
          await target.child.stop();
          await target.redis?.destroy();
        }
      }
    }
    return rows;
  } finally {
    for (const target of targets) {
      await target.child.stop();
      await target.redis?.destroy();
    }
  }
}

export interface MeteringProfile extends ProfileShare {
  requests: number;
}

/**
 * What metering's own code takes of the embedded gateway's CPU: a new gateway run under
 * `--cpu-prof` as the embedded row is (warm-up, then one measured run), and the share of its CPU
 * samples in that run with a frame of the meter or its store on the stack. Sampling sees the code
 * that runs, not what it costs elsewhere (a cache line it evicts, a collection it brings forward).
 */
export async function profileMetering(options: SendBenchOptions): Promise<MeteringProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-metering-'));
  try {
    // Four samples a millisecond: about 30,000 in an 8 s run, so a 2 % share is some 600 of them.
    const target = await startTarget('embedded', { ...options, profileDir: dir, profileIntervalUs: 250 });
    const microseconds = (): number => Number(process.hrtime.bigint() / 1_000n);
    let window = { from: 0, to: 0 };
    let result: LoadResult;
    try {
      options.log(`send: metering profile: ${LABELS.embedded} under --cpu-prof: ${options.warmupS}s warm-up + ${options.durationS}s`);
      result = await loadSends(
        { baseUrl: target.baseUrl, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, token: SERVICE_TOKEN, cpu: options.placement.loadCpu },
        // The profile's clock is the monotonic one process.hrtime reads, in this process as in the child.
        { onMeasureStart: () => { window = { from: microseconds(), to: 0 }; }, onMeasureEnd: () => { window.to = microseconds(); } },
      );
    } finally {
      await target.child.stop();
    }
    const text = readFileSync(join(dir, 'embedded.cpuprofile'), 'utf8');
    // Kept with the others when --prof-dir asks for them: where metering's share goes, by function.
    if (options.profileDir) writeFileSync(join(options.profileDir, 'metering.cpuprofile'), text);
    const profile = JSON.parse(text) as CpuProfile;
    return { ...profileShare(profile, (url) => METERING_CODE.test(url), window.from, window.to), requests: result.ok2xx };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nodeArgs(scenario: Scenario, options: SendBenchOptions, script: string): string[] {
  const interval = options.profileIntervalUs === undefined ? [] : [`--cpu-prof-interval=${options.profileIntervalUs}`];
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${scenario}.cpuprofile`, ...interval] : [];
  return [...profile, join(PROJECT_ROOT, script)];
}

/** The parent's env minus any CUTOVER_* settings, so a developer's shell cannot skew a run. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CUTOVER_')) env[key] = value;
  return { ...env, ...extra };
}

/** Another entry for a Cutover row's process: a bench build of the gateway (the metering switch). */
export interface GatewayEntry {
  name: string;
  script: string;
  env: Record<string, string>;
}

export async function startTarget(scenario: Scenario, options: SendBenchOptions, entry?: GatewayEntry): Promise<Target> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  if (scenario === 'bare') {
    const child = spawnChild({
      name: 'bare-server', ...pinned(options.placement.serverCpu, process.execPath, nodeArgs('bare', options, 'dist/bench/bare-server.js')),
      env: cleanEnv({ BENCH_PORT: String(port), BENCH_HOST: '127.0.0.1' }),
    });
    await waitReady(child, `${baseUrl}/readyz`);
    return { scenario, baseUrl, child, setupNotes: [], runs: 0 };
  }
  const cpu = options.placement.loadCpu;
  const cluster = scenario === 'cluster' ? await startRedisCluster(cpu) : undefined;
  const redis = scenario === 'redis' ? await startRedis(cpu) : cluster;
  const env: Record<string, string> = {
    CUTOVER_HOST: '127.0.0.1', CUTOVER_PORT: String(port), CUTOVER_LOG_LEVEL: 'warn',
    // No load balancer to drain from: SIGTERM closes at once, within stop()'s grace, so --cpu-prof is written.
    CUTOVER_DRAIN_PERIOD: '0s',
    CUTOVER_ADMIN_TOKENS: `bench:operator:${ADMIN_TOKEN}`,
    CUTOVER_API_TOKENS: `bench-backend:${SERVICE_TOKEN}`,
    CUTOVER_OLD_SIDE: JSON.stringify({ type: 'memory', maxMessages: BENCH_SIDE_MESSAGES }),
    CUTOVER_NEW_SIDE: JSON.stringify({ type: 'memory', maxMessages: BENCH_SIDE_MESSAGES }),
  };
  if (redis) env.CUTOVER_REDIS_URL = redis.url;
  // Set on both rows, to values of one length: the environment's size moves the stack's alignment,
  // and with it a process's speed by a few percent.
  if (scenario === 'embedded' || scenario === 'unmetered') env.CUTOVER_METERING = scenario === 'unmetered' && !options.meteringControl ? '0' : '1';
  if (cluster) env.CUTOVER_REDIS_SHARDS = String(options.clusterShards);
  const child = spawnChild({
    name: entry?.name ?? `cutover (${scenario})`, ...pinned(options.placement.serverCpu, process.execPath, nodeArgs(scenario, options, entry?.script ?? 'dist/src/server.js')),
    env: cleanEnv({ ...env, ...entry?.env }),
  });
  try {
    await waitReady(child, `${baseUrl}/readyz`);
    // Canary at 50 %: half the users have new as primary, and every message is written to both sides.
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'shadow' });
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'canary' });
    await admin(baseUrl, '/admin/rollout/percent', { percent: 50, force: true, reason: 'bench set-up: canary 50 %' });
    const spread = await preflight(baseUrl);
    const setupNotes = [`rollout canary 50 %: ${spread.newShare} of 200 sample users on new; preflight receipt primary=${spread.primary} secondary=${spread.secondary}`];
    if (cluster) {
      // Shard n's keys share the hash tag {migration:n} (src/infra/redis/keys.ts); the migration is the default one.
      const shards = Array.from({ length: options.clusterShards }, (_, n) => n);
      const masters = await cluster.mastersOf(shards.map((n) => `default:${n}`));
      const byMaster = new Map<string, number[]>();
      for (const [n, master] of masters.entries()) byMaster.set(master, [...(byMaster.get(master) ?? []), n]);
      setupNotes.push(`${options.clusterShards} outbox shards over the masters: ${[...byMaster].map(([master, own]) => `${master} shard${own.length === 1 ? '' : 's'} ${own.join(',')}`).join('; ')}`);
    }
    return { scenario, baseUrl, child, redis, setupNotes, runs: 0 };
  } catch (err) {
    await child.stop();
    await redis?.destroy();
    throw err;
  }
}

/**
 * One run against a started server: load, then (Cutover) the outbox drained before anything else
 * runs. `hooks` run as the measured run starts and ends, after the CPU readings' own.
 */
export async function measure(target: Target, round: number, warmupS: number, options: SendBenchOptions, hooks: LoadHooks = {}): Promise<SendRow> {
  const { scenario, baseUrl, redis } = target;
  let commandsBefore: CommandCounts = new Map();
  const cpu = cpuMeter([target.child.process.pid]);
  const redisCpu = cpuMeter(redis?.pids ?? []);
  const result = await loadSends(
    { baseUrl, connections: options.connections, durationS: options.durationS, warmupS, token: SERVICE_TOKEN, cpu: options.placement.loadCpu },
    {
      onMeasureStart: async () => {
        cpu.start();
        redisCpu.start();
        if (redis) commandsBefore = await redis.commandsProcessed();
        await hooks.onMeasureStart?.();
      },
      onMeasureEnd: async () => {
        cpu.end();
        redisCpu.end();
        await hooks.onMeasureEnd?.();
      },
    },
  );
  const row: SendRow = { ...result, scenario, round, label: labelOf(scenario, options), serverCpuUs: cpu.perRequestUs(result.ok2xx), notes: [] };
  if (scenario === 'bare') return row;
  if (redis) row.redisCpuUs = redisCpu.perRequestUs(result.ok2xx);
  try {
    await checkAfterRun(target, row, commandsBefore);
  } catch (err) {
    if (row.notes.length === 0) row.notes = [...target.setupNotes];
    row.failure = `${(err as Error).message}\n${target.child.name}'s last output:\n${lastLines(target.child.output(), 12)}`;
  }
  return row;
}

/** In a control run the metering-off row is the embedded row's twin, metered too. */
function labelOf(scenario: Scenario, options: SendBenchOptions): string {
  return scenario === 'unmetered' && options.meteringControl ? 'cutover embedded, metered twin (control)' : LABELS[scenario];
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).map((line) => `  ${line.slice(0, 2_000)}`).join('\n');
}

/** A Cutover run's checks: the outbox drained (before anything else runs), the rollout state, the Redis commands. */
async function checkAfterRun(target: Target, row: SendRow, commandsBefore: CommandCounts): Promise<void> {
  const { scenario, baseUrl, redis } = target;
  // Drained before the next run, so no server's background work lands in another's measurement.
  const backlog = await outboxOwed(baseUrl);
  const drained = await drainOutbox(baseUrl, 5_000);
  row.drain = { owedAfterRun: backlog.old + backlog.new, ...drained };
  const after = await rolloutState(baseUrl);
  row.notes = [
    ...target.setupNotes,
    // The guard runs as in production; a rollback mid-run would have changed what was measured.
    after.rollback
      ? `WARNING: rolled back during the run (${after.rollback.trigger}: ${after.rollback.reason}); the numbers are not canary 50 %`
      : `state after the run: ${after.stage} ${after.percent} %, not rolled back (guard on, as by default)`,
    `outbox owed right after the run: ${backlog.old} to old, ${backlog.new} to new; ${drained.owed === 0 ? `drained in ${drained.ms} ms` : `still ${drained.owed} owed after ${drained.ms} ms`}; dead letters ${drained.dead}`,
  ];
  if (redis) {
    const ran = commandsBetween(commandsBefore, await redis.commandsProcessed());
    // Includes the drain of the secondaries and the once-a-second state poll: the whole cost per message.
    const where = scenario === 'cluster' ? ', summed over the masters' : '';
    const total = [...ran.values()].reduce((a, b) => a + b, 0);
    row.notes.push(`redis commands per accepted message (INFO commandstats${where}, incl. those in Lua scripts and secondary delivery): ${fixed(total / row.ok2xx, 1)}`);
    const top = [...ran].sort((a, b) => b[1] - a[1]).filter(([, calls]) => calls / row.ok2xx >= 0.005);
    row.notes.push(`  by command, per message: ${top.map(([name, calls]) => `${name} ${fixed(calls / row.ok2xx, 2)}`).join(', ')}`);
  }
}

async function request(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${path.startsWith('/v1/') ? SERVICE_TOKEN : ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
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

function cpuCell(serverUs: number, redisUs: number | undefined): string {
  return redisUs === undefined ? fixed(serverUs, 0) : `${fixed(serverUs, 0)}+${fixed(redisUs, 0)}`;
}

/** Each run against the bare run of the same round: the share of its throughput and the p99 added. */
function versusBare(rows: readonly SendRow[], row: SendRow): { share: number; p99AddedMs: number } | undefined {
  const bare = rows.find((r) => r.scenario === 'bare' && r.round === row.round);
  return bare ? { share: row.reqPerSec / bare.reqPerSec, p99AddedMs: row.p99Ms - bare.p99Ms } : undefined;
}

/**
 * Every run (by round), then the summary: per server the median over the rounds, and the verdicts
 * against the issue's targets on the median of the per-round comparisons with bare.
 */
export function formatSendReport(rows: readonly SendRow[], where: Placement, metering?: MeteringProfile, control = false): string {
  const rounds = Math.max(0, ...rows.map((r) => r.round));
  const runHeader = ['round', 'name', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '% of bare', 'p99 +ms vs bare', 'cpu µs/req', 'wrk µs/req', 'errors', 'timeouts', 'non-2xx'];
  const runBody = [...rows].sort((x, y) => x.round - y.round || SCENARIOS.indexOf(x.scenario) - SCENARIOS.indexOf(y.scenario)).map((r) => {
    const vs = versusBare(rows, r);
    return [
      String(r.round), r.label, fixed(r.reqPerSec, 0), fixed(r.p50Ms, 2), fixed(r.p90Ms, 2), fixed(r.p99Ms, 2), fixed(r.maxMs, 1),
      vs ? `${fixed(vs.share * 100, 1)} %` : 'n/a',
      vs ? `${vs.p99AddedMs >= 0 ? '+' : ''}${fixed(vs.p99AddedMs, 2)}` : 'n/a',
      cpuCell(r.serverCpuUs, r.redisCpuUs), fixed(r.loadCpuUs, 1), String(r.errors), String(r.timeouts), String(r.non2xx),
    ];
  });
  const lines = [
    `where:  ${where.description}`,
    'cpu µs/req: the server under test per 2xx reply (+ redis-server, summed over the Cluster\'s masters); wrk µs/req: the load generator per reply',
    '',
    `### Every run (${rounds} round${rounds === 1 ? '' : 's'}; % of bare and p99 added against the bare run of the same round)`, table([runHeader, ...runBody]), ''];

  const scenarios = SCENARIOS.filter((s) => rows.some((r) => r.scenario === s));
  const summaryHeader = ['name', 'req/s', 'p50 ms', 'p99 ms', '% of bare', 'p99 +ms vs bare', 'cpu µs/req', 'runs'];
  const summaryBody = scenarios.map((scenario) => {
    const own = rows.filter((r) => r.scenario === scenario);
    const vs = own.map((r) => versusBare(rows, r)).filter((v) => v !== undefined);
    const redisCpu = own.every((r) => r.redisCpuUs !== undefined) ? median(own.map((r) => r.redisCpuUs!)) : undefined;
    return [
      own[0]?.label ?? LABELS[scenario], fixed(median(own.map((r) => r.reqPerSec)), 0), fixed(median(own.map((r) => r.p50Ms)), 2), fixed(median(own.map((r) => r.p99Ms)), 2),
      vs.length > 0 ? `${fixed(median(vs.map((v) => v.share)) * 100, 1)} % (${fixed(Math.min(...vs.map((v) => v.share)) * 100, 1)}–${fixed(Math.max(...vs.map((v) => v.share)) * 100, 1)})` : 'n/a',
      vs.length > 0 ? `${median(vs.map((v) => v.p99AddedMs)) >= 0 ? '+' : ''}${fixed(median(vs.map((v) => v.p99AddedMs)), 2)}` : 'n/a',
      cpuCell(median(own.map((r) => r.serverCpuUs)), redisCpu), String(own.length),
    ];
  });
  lines.push('### Summary: the median of the runs (% of bare: the median of the per-round ratios, their range in brackets)', table([summaryHeader, ...summaryBody]), '');

  for (const scenario of scenarios) {
    const own = rows.filter((r) => r.scenario === scenario);
    const label = own[0]?.label ?? LABELS[scenario];
    const dirty = own.filter((r) => r.errors !== 0 || r.timeouts !== 0 || r.non2xx !== 0);
    const codes: Record<string, number> = {};
    for (const r of own) for (const [code, count] of Object.entries(r.statusCodes)) codes[code] = (codes[code] ?? 0) + count;
    for (const r of own) if (r.failure !== undefined) lines.push(`FAIL  ${label}: round ${r.round}: the checks after the run failed, not measured again: ${r.failure}`);
    lines.push(`${verdict(dirty.length === 0)}  ${label}: errors ${sum(own, 'errors')}, timeouts ${sum(own, 'timeouts')}, non-2xx ${sum(own, 'non2xx')} over ${own.length} run(s) (status codes: ${Object.entries(codes).map(([c, n]) => `${c}×${n}`).join(' ') || 'none'})`);
    if (scenario === 'bare') continue;
    const drains = own.map((r) => r.drain).filter((d) => d !== undefined);
    const undrained = drains.filter((d) => d.owed !== 0 || d.dead !== 0);
    // A run whose checks failed has no drain figure: it did not pass.
    lines.push(`${verdict(undrained.length === 0 && drains.length === own.length)}  ${label}: outbox drained after ${drains.length - undrained.length} of ${own.length} run(s), at most ${Math.max(0, ...drains.map((d) => d.owedAfterRun))} owed right after a run, drained within ${Math.max(0, ...drains.map((d) => d.ms))} ms, dead letters ${Math.max(0, ...drains.map((d) => d.dead))}`);
    const vs = own.map((r) => versusBare(rows, r)).filter((v) => v !== undefined);
    if (vs.length === 0) {
      lines.push(`n/a   ${label}: targets need the bare baseline in the same run (add bare to --only)`);
    } else {
      const target = scenario === 'embedded' || scenario === 'unmetered' ? TARGETS.embeddedShare : TARGETS.redisShare;
      const share = median(vs.map((v) => v.share));
      const added = median(vs.map((v) => v.p99AddedMs));
      const each = (values: number[], unit: string): string => values.map((v) => `${fixed(v, 1)}${unit}`).join(', ');
      lines.push(`${verdict(share >= target)}  ${label}: throughput ${fixed(share * 100, 1)} % of bare, median of ${vs.length} (target ≥ ${target * 100} %; runs: ${each(vs.map((v) => v.share * 100), ' %')})`);
      lines.push(`${verdict(added <= TARGETS.p99AddedMs)}  ${label}: p99 added ${fixed(added, 2)} ms vs bare, median of ${vs.length} (target ≤ ${TARGETS.p99AddedMs} ms; runs: ${each(vs.map((v) => v.p99AddedMs), ' ms')})`);
    }
    const rolledBack = own.find((r) => r.notes.some((n) => n.startsWith('WARNING')));
    for (const note of (rolledBack ?? own[own.length - 1]!).notes) lines.push(`      ${note}`);
  }
  lines.push(...meteringVerdict(rows, metering, control));
  return lines.join('\n');
}

/**
 * What metering adds: embedded's gateway CPU per request against the same server with it off, a
 * new pair of processes each round. A round's figure swings by several percent either way (two
 * processes of one build differ as much), so the verdict is the median's 90 % interval, not the median:
 * PASS when all of it is within the target, MISS when all of it is above, OPEN when it straddles.
 * Under it, the profile's share: metering's own code, without what it costs elsewhere.
 */
export function meteringVerdict(rows: readonly SendRow[], profile: MeteringProfile | undefined, control = false): string[] {
  const added: number[] = [];
  for (const on of rows.filter((r) => r.scenario === 'embedded')) {
    const off = rows.find((r) => r.scenario === 'unmetered' && r.round === on.round);
    if (off && off.serverCpuUs > 0) added.push((on.serverCpuUs - off.serverCpuUs) / off.serverCpuUs);
  }
  const lines: string[] = [];
  const percent = (value: number): string => `${fixed(value * 100, 1)} %`;
  const target = TARGETS.meteringAdded;
  if (added.length > 0) {
    const middle = median(added);
    const interval = medianInterval(added);
    const range = interval ? `90 % interval ${percent(interval.low)} … ${percent(interval.high)}` : 'too few rounds for an interval (5 or more)';
    const word = judgeMetering(interval, control);
    const subject = control
      ? 'metering control (A/A, both rows metered): the method reads'
      : 'metering: embedded uses';
    lines.push(`${word}  ${subject} ${percent(middle)} more gateway CPU per request than ${control ? 'its twin' : 'with metering off'}, median of ${added.length} round(s), ${range}, a new pair of processes each (${control ? 'expected: an interval holding 0' : `target ≤ ${target * 100} %`}; rounds: ${added.map(percent).join(', ')})`);
    if (word === 'OPEN' && interval && !control) {
      // The interval narrows as 1/√n: about this many rounds would put it on one side of the target.
      const halfWidth = (interval.high - interval.low) / 2;
      const gap = Math.abs(middle - target);
      const rounds = gap > 0 ? Math.ceil(added.length * (halfWidth / gap) ** 2) : Infinity;
      lines.push(`      the interval straddles the target: ${Number.isFinite(rounds) ? `about ${rounds} rounds at this spread would decide it` : 'the median sits on it'} (--only embedded,unmetered --rounds N; about 25 s a round)`);
    }
  }
  if (profile) {
    lines.push(`      profile: ${fixed(profile.share * 100, 2)} % of the embedded gateway's CPU samples have the meter or its store on the stack (${profile.matching} of ${profile.busy}, a run of its own, ${profile.requests.toLocaleString('en-US')} requests): its own code`);
  }
  return lines;
}

/**
 * A metering interval against the target: PASS when all of it is within, MISS when all of it is
 * above, OPEN when it straddles (or there is none); a control's, whether it holds 0.
 */
export function judgeMetering(interval: MedianInterval | null, control: boolean): string {
  if (!interval) return 'OPEN';
  if (control) return verdict(interval.low <= 0 && interval.high >= 0);
  return interval.high <= TARGETS.meteringAdded ? 'PASS' : interval.low > TARGETS.meteringAdded ? 'MISS' : 'OPEN';
}

function sum(rows: readonly SendRow[], key: 'errors' | 'timeouts' | 'non2xx'): number {
  return rows.reduce((total, r) => total + r[key], 0);
}

// Standalone: `node dist/bench/send-throughput.js` runs every row with the defaults, pinned when taskset works.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const where = placement(true);
  runSendBenches({ connections: 50, durationS: 10, warmupS: 2, rounds: 3, scenarios: SCENARIOS, placement: where, clusterShards: 3, log: (l) => process.stderr.write(`${l}\n`) })
    .then((rows) => {
      process.stdout.write(`${formatSendReport(rows, where)}\n`);
      process.exitCode = rows.some((r) => r.failure !== undefined) ? 1 : 0;
    })
    .catch((err: unknown) => {
      process.stderr.write(`send-throughput: ${err instanceof Error ? err.message : String(err)}\n`);
      killAll();
      process.exit(1);
    });
}

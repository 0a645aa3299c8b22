/**
 * `npm run bench:bridge`: bridge lag and throughput on this machine. Two simulated IM servers
 * (old and new, child processes) send their after-send webhooks to one gateway (Redis outbox,
 * canary 50 %), while this process makes client sends through both at a fixed rate, half each way.
 * Lag is the gateway's own `cutover_bridge_lag_seconds` (client send → the other side holds it).
 * Flags: --rate N (1000 messages/s), --duration S (10), --warmup S (2), --users N (2000).
 * Exits 0 whatever the numbers; 1 if a process fails to start or the messages do not all arrive.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/free-port.js';
import { SimProcess } from '../test/support/sim-process.js';
import { histogramQuantile, type Bucket } from '../src/http/status/histogram-quantile.js';
import { killAll, spawnChild, waitReady } from './support/processes.js';
import { startRedis } from './support/redis.js';
import { fixed, table, verdict } from './support/table.js';

const ADMIN_TOKEN = 'bench-operator-token-0123456789';
const SECRETS = { old: 'bench-old-webhook-secret', new: 'bench-new-webhook-secret' } as const;
type SideName = keyof typeof SECRETS;
const TARGET_P99_MS = 250;

const { values } = parseArgs({ options: { rate: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, users: { type: 'string' } } });
const rate = Number(values.rate ?? 1_000);
const durationS = Number(values.duration ?? 10);
const warmupS = Number(values.warmup ?? 2);
const users = Number(values.users ?? 2_000);
for (const [name, value] of Object.entries({ rate, duration: durationS, users })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number; got ${value}`);
}

const log = (line: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] bridge: ${line}`);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });

/** A client send through one sim, over a kept-alive connection (fetch would make the bench the bottleneck). */
function clientSend(sim: SimProcess, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}/v1/client/messages`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function admin(baseUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

/** The lag histogram's buckets per direction, and the bridged count, from /metrics. */
async function bridgeMetrics(baseUrl: string): Promise<{ lag: Record<SideName, Bucket[]>; bridged: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const lag: Record<SideName, Bucket[]> = { old: [], new: [] };
  let bridged = 0;
  for (const line of text.split('\n')) {
    const bucket = /^cutover_bridge_lag_seconds_bucket\{.*le="([^"]+)".*from="(old|new)".*\} (\d+)|^cutover_bridge_lag_seconds_bucket\{.*from="(old|new)".*le="([^"]+)".*\} (\d+)/.exec(line);
    if (bucket) {
      const [le, from, count] = bucket[1] ? [bucket[1], bucket[2], bucket[3]] : [bucket[5], bucket[4], bucket[6]];
      lag[from as SideName].push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(count) });
    }
    const total = /^cutover_bridge_messages_total\{.*result="bridged".*\} (\d+)/.exec(line);
    if (total) bridged += Number(total[1]);
  }
  return { lag, bridged };
}

function quantileMs(buckets: Bucket[], q: number): number {
  return histogramQuantile(q, buckets) * 1000;
}

/** Share of samples at or under `seconds`, exact where `seconds` is a bucket edge. */
function shareWithin(buckets: Bucket[], seconds: number): number {
  const total = buckets.find((b) => b.le === Infinity)?.count ?? 0;
  const within = buckets.find((b) => b.le === seconds)?.count ?? 0;
  return total > 0 ? within / total : 0;
}

async function main(): Promise<void> {
  log(`rate ${rate}/s for ${durationS} s after ${warmupS} s of warm-up, ${users} users`);
  const redis = await startRedis();
  const [old, fresh] = await Promise.all([SimProcess.start({ name: 'old' }), SimProcess.start({ name: 'new' })]);
  const sims: Record<SideName, SimProcess> = { old, new: fresh };
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const side = (sim: SimProcess) => JSON.stringify({ type: 'http-legacy', baseUrl: sim.url, timeout: '2s', retries: 1 });
  const gateway = spawnChild({
    name: 'cutover', command: process.execPath, args: ['dist/src/server.js'],
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CUTOVER_'))),
      CUTOVER_HOST: '127.0.0.1', CUTOVER_PORT: String(port), CUTOVER_LOG_LEVEL: 'warn', CUTOVER_DRAIN_PERIOD: '0s',
      CUTOVER_REDIS_URL: redis.url, CUTOVER_OLD_SIDE: side(old), CUTOVER_NEW_SIDE: side(fresh),
      CUTOVER_ADMIN_TOKENS: `bench:operator:${ADMIN_TOKEN}`, CUTOVER_API_TOKENS: `bench-backend:bench-service-token-0123456789`,
      CUTOVER_BRIDGE_OLD_SECRET: SECRETS.old, CUTOVER_BRIDGE_NEW_SECRET: SECRETS.new,
    },
  });
  try {
    await waitReady(gateway, `${baseUrl}/readyz`);
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'shadow' });
    await admin(baseUrl, '/admin/rollout/stage', { stage: 'canary' });
    await admin(baseUrl, '/admin/rollout/percent', { percent: 50, force: true, reason: 'bench set-up: canary 50 %' });
    for (const name of ['old', 'new'] as const) await sims[name].setWebhook({ url: `${baseUrl}/v1/bridge/${name}/events`, secret: SECRETS[name] });

    // Paced, open loop: every 10 ms the sends due by then leave, whatever the answers are doing.
    const total = Math.round(rate * (warmupS + durationS));
    const warm = Math.round(rate * warmupS);
    const started = Date.now();
    let sentCount = 0;
    let failures = 0;
    let measuredFrom: { at: number; lag: Record<SideName, Bucket[]>; bridged: number } | undefined;
    const inFlight = new Set<Promise<void>>();
    while (sentCount < total) {
      if (!measuredFrom && sentCount >= warm) measuredFrom = { at: Date.now(), ...(await bridgeMetrics(baseUrl)) };
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      for (; sentCount < due; sentCount++) {
        const n = sentCount;
        const via: SideName = n % 2 === 0 ? 'old' : 'new';
        const body = JSON.stringify({ id: `bb-${n}`, from: `u${(n * 7_919) % users}`, to: { type: 'user', id: `u${(n * 104_729 + 1) % users}` }, payload: `bridge bench ${n}` });
        const p = clientSend(sims[via], body).then((status) => { if (status !== 201) failures++; }, () => { failures++; });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const sendEnd = Date.now();
    await Promise.all(inFlight);
    // Drained: every event delivered and both sides hold every message.
    const deadline = Date.now() + 60_000;
    let drainedAt = 0;
    while (Date.now() < deadline) {
      const [a, b] = await Promise.all([old.webhookStats(), fresh.webhookStats()]);
      const { bridged } = await bridgeMetrics(baseUrl);
      if (a.delivered + b.delivered === total && bridged === total) {
        const [onOld, onNew] = await Promise.all([old.messageIds(), fresh.messageIds()]);
        if (onOld.length >= total && onNew.length >= total) {
          drainedAt = Date.now();
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const end = await bridgeMetrics(baseUrl);
    const start = measuredFrom!;
    const windowBuckets = (from: SideName): Bucket[] => end.lag[from].map((b) => ({ le: b.le, count: b.count - (start.lag[from].find((s) => s.le === b.le)?.count ?? 0) }));
    const both = windowBuckets('old').map((b, i) => ({ le: b.le, count: b.count + (windowBuckets('new')[i]?.count ?? 0) }));
    const measured = end.bridged - start.bridged;
    const rows = (['old', 'new'] as const).map((from) => {
      const buckets = windowBuckets(from);
      const samples = buckets.find((b) => b.le === Infinity)?.count ?? 0;
      return [`${from} → ${from === 'old' ? 'new' : 'old'}`, String(samples), fixed(quantileMs(buckets, 0.5), 1), fixed(quantileMs(buckets, 0.99), 1), `${fixed(100 * shareWithin(buckets, TARGET_P99_MS / 1000), 2)} %`];
    });
    const p99 = quantileMs(both, 0.99);
    const achieved = measured / ((sendEnd - start.at) / 1000);
    console.log(`## Bridge lag and throughput (${rate}/s offered for ${durationS} s, canary 50 %, Redis outbox, two simulated sides)`);
    console.log(table([['direction', 'bridged', 'lag p50 ms', 'lag p99 ms', 'within 250 ms'], ...rows,
      ['both', String(both.find((b) => b.le === Infinity)?.count ?? 0), fixed(quantileMs(both, 0.5), 1), fixed(p99, 1), `${fixed(100 * shareWithin(both, TARGET_P99_MS / 1000), 2)} %`]]));
    console.log('');
    console.log(`bridged ${fixed(achieved, 0)} messages/s over the measured ${durationS} s; client sends that failed: ${failures}; ${drainedAt ? `all ${total} on both sides ${drainedAt - sendEnd} ms after the last send` : 'NOT all on both sides within 60 s'}`);
    console.log('lag: from the histogram cutover_bridge_lag_seconds (buckets 5 ms … 60 s, linear inside a bucket); "within 250 ms" is exact (a bucket edge)');
    console.log(`${verdict(p99 <= TARGET_P99_MS && achieved >= rate * 0.98 && drainedAt > 0)}  bridge: p99 lag ${fixed(p99, 1)} ms at ${fixed(achieved, 0)}/s (target ≤ ${TARGET_P99_MS} ms at ${rate}/s)`);
    if (!drainedAt || failures > 0) process.exitCode = 1;
  } finally {
    await gateway.stop();
    await Promise.all([old.destroy(), fresh.destroy(), redis.destroy()]);
    agent.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  killAll();
  process.exit(1);
});

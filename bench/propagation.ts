import { GatewayProcess } from '../test/support/gateway-process.js';
import { RedisServer } from '../test/support/redis-server.js';

/**
 * How fast a rollout change made on one instance reaches the others: three gateway processes on
 * one Redis; a change (alternately rollback and resume) through instance A's admin API; the time
 * until B and C both route by the new version (polled every 2 ms). Target: max ≤ 1 s, median ≤ 50 ms.
 */
const TOKEN = 'bench-operator-token-0123456789';
/** GatewayProcess.request sends it to /v1 (the route lookups). */
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const TRIALS = Number(process.argv[process.argv.indexOf('--trials') + 1]) || 20;

async function versionOf(gateway: GatewayProcess): Promise<number> {
  return (await gateway.request('GET', '/v1/route/probe-user')).body.version as number;
}

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const env = { CUTOVER_REDIS_URL: redis.url, CUTOVER_ADMIN_TOKENS: `bench:operator:${TOKEN}`, CUTOVER_API_TOKENS: `bench-probe:${SERVICE_TOKEN}`, CUTOVER_GUARD_ENABLED: 'false' };
  const gateways = await Promise.all([0, 1, 2].map(() => GatewayProcess.start(env)));
  const [a, ...others] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
  try {
    for (const [path, body] of [['stage', { stage: 'shadow' }], ['stage', { stage: 'canary' }], ['percent', { percent: 10, force: true, reason: 'bench set-up' }]] as const) {
      await a.request('POST', `/admin/rollout/${path}`, body, TOKEN);
    }
    const delays: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const rollback = trial % 2 === 0;
      const started = performance.now();
      const res = await a.request('POST', `/admin/rollout/${rollback ? 'rollback' : 'resume'}`, rollback ? { reason: `propagation trial ${trial}` } : {}, TOKEN);
      const version = res.body.state.version as number;
      const seenAt = await Promise.all(others.map(async (gateway) => {
        while ((await versionOf(gateway)) < version) await new Promise((r) => setTimeout(r, 2));
        return performance.now();
      }));
      delays.push(Math.max(...seenAt) - started);
      if (process.env.DEBUG_PROPAGATION) console.log(trial, res.status, version, seenAt.map((t) => (t - started).toFixed(1)));
      await new Promise((r) => setTimeout(r, 50));
    }
    delays.sort((x, y) => x - y);
    const median = delays[Math.floor(delays.length / 2)]!;
    const max = delays[delays.length - 1]!;
    console.log(`state propagation, 3 instances on one Redis, ${TRIALS} trials (change on A → seen by B and C; includes A's own CAS round trip)`);
    console.log(`  median ${median.toFixed(1)} ms   p90 ${delays[Math.floor(delays.length * 0.9)]!.toFixed(1)} ms   max ${max.toFixed(1)} ms`);
    console.log(`  target median ≤ 50 ms: ${median <= 50 ? 'PASS' : 'MISS'}   max ≤ 1000 ms: ${max <= 1000 ? 'PASS' : 'MISS'}`);
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    await redis.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

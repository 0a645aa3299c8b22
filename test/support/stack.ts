import type { TestContext } from 'node:test';
import { GatewayProcess } from './gateway-process.js';
import { RedisServer, type RedisServerOptions } from './redis-server.js';
import { SimProcess } from './sim-process.js';

export const TOKEN = 'e2e-operator-token-0123456789';
/** The calling backend's token for /v1; GatewayProcess.request sends it there by default. */
export const SERVICE_TOKEN = 'e2e-service-token-0123456789';

/** Real parts for end-to-end tests: Redis (AOF on), a simulated IM server per side, gateways. */
export interface Stack {
  redis: RedisServer;
  old: SimProcess;
  fresh: SimProcess;
  gatewayEnv: Record<string, string>;
  startGateway(extraEnv?: Record<string, string>): Promise<GatewayProcess>;
}

export interface StackOptions {
  redis?: RedisServerOptions;
  /** Point the gateways at this Redis (a Sentinel set, say) instead of starting a standalone one. */
  redisUrl?: string;
}

export function startStack(t: TestContext, env?: Record<string, string>, options?: StackOptions & { redisUrl?: undefined }): Promise<Stack>;
export function startStack(t: TestContext, env: Record<string, string>, options: StackOptions & { redisUrl: string }): Promise<Omit<Stack, 'redis'>>;
export async function startStack(t: TestContext, env: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack | Omit<Stack, 'redis'>> {
  const redis = options.redisUrl === undefined ? await RedisServer.start(options.redis) : undefined;
  if (redis) t.after(() => redis.destroy());
  const [old, fresh] = await Promise.all([SimProcess.start({ name: 'old' }), SimProcess.start({ name: 'new' })]);
  t.after(() => old.destroy());
  t.after(() => fresh.destroy());
  const side = (sim: SimProcess) => JSON.stringify({ type: 'http-legacy', baseUrl: sim.url, timeout: '300ms', retries: 1 });
  const gatewayEnv = {
    CUTOVER_REDIS_URL: options.redisUrl ?? redis!.url,
    CUTOVER_OLD_SIDE: side(old),
    CUTOVER_NEW_SIDE: side(fresh),
    CUTOVER_ADMIN_TOKENS: `e2e:operator:${TOKEN}`,
    CUTOVER_API_TOKENS: `e2e-backend:${SERVICE_TOKEN}`,
    CUTOVER_OUTBOX_BACKOFF_BASE: '50ms',
    CUTOVER_OUTBOX_BACKOFF_MAX: '500ms',
    CUTOVER_OUTBOX_INFLIGHT_GRACE: '2s',
    CUTOVER_OUTBOX_LEASE_TIMEOUT: '2s',
    CUTOVER_LOG_LEVEL: 'warn',
    ...env,
  };
  return {
    ...(redis && { redis }), old, fresh, gatewayEnv,
    async startGateway(extraEnv = {}) {
      const gateway = await GatewayProcess.start({ ...gatewayEnv, ...extraEnv });
      t.after(() => gateway.kill());
      return gateway;
    },
  };
}

/** off → shadow → canary at `percent`, through the admin API of one gateway. */
export async function driveToCanary(gateway: GatewayProcess, percent: number): Promise<void> {
  for (const [path, body] of [['stage', { stage: 'shadow' }], ['stage', { stage: 'canary' }], ['percent', { percent, force: true, reason: 'test set-up: straight to the percent under test' }]] as const) {
    const res = await gateway.request('POST', `/admin/rollout/${path}`, body, TOKEN);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every id is stored on both simulated sides. */
export async function onBothSides(stack: Pick<Stack, 'old' | 'fresh'>, ids: string[], timeoutMs: number): Promise<void> {
  await eventually(async () => {
    const [oldIds, newIds] = await Promise.all([stack.old.messageIds(), stack.fresh.messageIds()]);
    const onOld = new Set(oldIds);
    const onNew = new Set(newIds);
    return ids.every((id) => onOld.has(id) && onNew.has(id));
  }, timeoutMs, 'every accepted message on both sides');
}

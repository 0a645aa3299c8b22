import type { TestContext } from 'node:test';
import type { GatewayProcess } from '../../support/gateway-process.js';
import type { RedisServerOptions } from '../../support/redis-server.js';
import type { SimProcess } from '../../support/sim-process.js';
import { driveToCanary, eventually, startStack, TOKEN, type Stack } from '../../support/stack.js';
import { account, type AccountOptions, type OutboxReport, type Tally } from './accountant.js';
import { Balancer, type BalancerOptions } from './balancer.js';
import { GatewayClient } from './gateway-client.js';
import { LoadGenerator, type LoadOptions } from './load.js';

export interface FaultStackOptions {
  /** Gateways on the one Redis (default 2). */
  gateways?: number;
  /** Env for every gateway, over the stack's defaults. */
  env?: Record<string, string>;
  /** Env that needs the stack's parts (a side's URL). */
  envFor?: (stack: Stack) => Record<string, string>;
  redis?: RedisServerOptions;
  /** Canary at this percent (default 50: each side is a primary for someone), or shadow: old primary for all. */
  rollout?: number | 'shadow';
}

export interface FaultStack extends Stack {
  gateways: GatewayProcess[];
  sides: { old: SimProcess; new: SimProcess };
  /** A load balancer over every gateway, closed when the test ends. */
  balancer(options?: BalancerOptions): Promise<Balancer>;
  /** Starts load through a new balancer over every gateway. */
  load(options: Omit<LoadOptions, 'post'>, balancer?: BalancerOptions): Promise<LoadGenerator>;
  /** Counts (after the drain wait) what this stack's sides hold against what callers were told, and prints it. */
  account(options: Omit<AccountOptions, 'sides' | 'outbox'>): Promise<Tally>;
  /** /admin/outbox through the first gateway that answers. */
  outbox(): Promise<OutboxReport>;
  /** GET /v1/route/:user from one gateway, as a calling service. */
  route(gateway: GatewayProcess, user: string): Promise<{ primary: string; rolledBack: boolean; version: number; cohort: string }>;
}

/**
 * Two gateways (by default) on one Redis with AOF, a simulated server per side, canary at 50 %.
 * The guard is off: these scenarios break a side on purpose, and a rollback would move the users
 * the scenario counts on.
 */
export async function startFaultStack(t: TestContext, options: FaultStackOptions = {}): Promise<FaultStack> {
  const stack = await startStack(t, { CUTOVER_GUARD_ENABLED: 'false', ...options.env }, { redis: options.redis });
  const extraEnv = options.envFor?.(stack) ?? {};
  const gateways: GatewayProcess[] = [];
  // One after the other: two cores shared by everything, and a boot is mostly CPU.
  for (let i = 0; i < (options.gateways ?? 2); i++) gateways.push(await stack.startGateway(extraEnv));
  const clients = new Map<GatewayProcess, GatewayClient>();
  const clientOf = (gateway: GatewayProcess): GatewayClient => {
    let client = clients.get(gateway);
    if (!client) clients.set(gateway, (client = new GatewayClient(gateway.url, 4)));
    return client;
  };
  t.after(() => Promise.all([...clients.values()].map((client) => client.close())));

  const faultStack: FaultStack = {
    ...stack,
    gateways,
    sides: { old: stack.old, new: stack.fresh },
    async balancer(balancerOptions = {}) {
      const balancer = new Balancer(gateways.map((g) => g.url), balancerOptions);
      t.after(() => balancer.close());
      await balancer.started();
      return balancer;
    },
    async load(loadOptions, balancerOptions) {
      const balancer = await faultStack.balancer(balancerOptions);
      return new LoadGenerator({ ...loadOptions, post: (path, body) => balancer.post(path, body) });
    },
    account(accountOptions) {
      return account({ ...accountOptions, sides: faultStack.sides, outbox: () => faultStack.outbox() });
    },
    async outbox() {
      let last: unknown;
      for (const gateway of gateways) {
        try {
          const res = await gateway.request('GET', '/admin/outbox?deadLetters=500', undefined, TOKEN);
          if (res.status === 200) return res.body as OutboxReport;
          last = `HTTP ${res.status}`;
        } catch (err) {
          last = err;
        }
      }
      throw new Error(`no gateway answered /admin/outbox (${String(last)})`);
    },
    async route(gateway, user) {
      const answer = await clientOf(gateway).get(`/v1/route/${user}`, 2_000);
      if (answer.status !== 200) throw new Error(`route ${user}: ${answer.status ?? answer.error} ${JSON.stringify(answer.status === undefined ? '' : answer.body)}`);
      return answer.body;
    },
  };

  const first = gateways[0]!;
  if (options.rollout === 'shadow') {
    const res = await first.request('POST', '/admin/rollout/stage', { stage: 'shadow' }, TOKEN);
    if (res.status !== 200) throw new Error(`shadow: ${res.status} ${JSON.stringify(res.body)}`);
  } else {
    await driveToCanary(first, options.rollout ?? 50);
  }
  const { version } = await faultStack.route(first, 'u0');
  await eventually(async () => {
    const seen = await Promise.all(gateways.map((g) => faultStack.route(g, 'u0')));
    return seen.every((r) => r.version === version);
  }, 5_000, 'every gateway to route by the same state');
  return faultStack;
}

/** A side's adapter config for CUTOVER_OLD_SIDE / CUTOVER_NEW_SIDE, with its own timeout and retries. */
export function sideEnv(sim: SimProcess, timeout: string, retries: number): string {
  return JSON.stringify({ type: 'http-legacy', baseUrl: sim.url, timeout, retries });
}

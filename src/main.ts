import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAdapter, type AdapterSeams } from './adapters/create-adapter.js';
import { MemoryAdapter } from './adapters/memory-adapter.js';
import type { Config } from './config/load-config.js';
import { SIDES, type Side } from './domain/message.js';
import { cutoverApp } from './http/app.js';
import type { AppServices, ReadinessReport } from './http/app-services.js';
import { TokenAuth } from './http/auth.js';
import { ConnectionDrain } from './http/connection-drain.js';
import { UnleashEligibility } from './infra/flags/unleash-eligibility.js';
import { UnleashRolloutMirror } from './infra/flags/unleash-rollout-mirror.js';
import { createLogger } from './infra/logger.js';
import { shardOf as murmurShard } from './domain/shard.js';
import { MemoryOutbox } from './infra/memory/memory-outbox.js';
import { MemoryStateStore } from './infra/memory/memory-state-store.js';
import { Metrics } from './infra/metrics.js';
import { RedisKeys } from './infra/redis/keys.js';
import { connectRedis, whenReady, type RedisClient } from './infra/redis/redis-connection.js';
import { RedisOutbox } from './infra/redis/redis-outbox.js';
import { RedisStateStore } from './infra/redis/redis-state-store.js';
import { DEFAULT_STREAK_RULES } from './domain/guard/failure-streak.js';
import { MemoryTrafficWindows } from './infra/memory/memory-traffic-windows.js';
import { RedisTrafficWindows } from './infra/redis/redis-traffic-windows.js';
import { WebhookNotifier } from './infra/webhook-notifier.js';
import { Guard } from './services/guard.js';
import { InstrumentedAdapter } from './services/instrumented-adapter.js';
import type { Telemetry } from './services/ports/telemetry.js';
import type { TrafficWindows } from './services/ports/traffic-windows.js';
import { TrafficRecorder } from './services/traffic-recorder.js';
import { OutboxWorker } from './services/outbox-worker.js';
import { AgoraRtmAdapter } from './adapters/agora-rtm/agora-rtm-adapter.js';
import { BridgeIntake } from './services/bridge-intake.js';
import { UsageMeter } from './services/usage-meter.js';
import type { UsageStore } from './services/ports/usage-store.js';
import { MemoryUsageStore } from './infra/memory/memory-usage-store.js';
import { RedisUsageStore } from './infra/redis/redis-usage-store.js';
import type { ReplayGuard } from './services/ports/replay-guard.js';
import { MemoryReplayGuard } from './infra/memory/memory-replay-guard.js';
import { RedisReplayGuard } from './infra/redis/redis-replay-guard.js';
import type { Outbox } from './services/ports/outbox.js';
import type { StateStore } from './services/ports/state-store.js';
import { ConsistencyCheck } from './services/consistency-check.js';
import { ReadHistory } from './services/read-history.js';
import { MigrationControl } from './services/migration/migration-control.js';
import { MigrationRunner } from './services/migration/migration-runner.js';
import { VerifiedUsers } from './services/migration/verified-users.js';
import type { MigrationStore } from './services/ports/migration-store.js';
import { createMigrationSide } from './adapters/create-migration-side.js';
import { MemoryMigrationStore } from './infra/memory/memory-migration-store.js';
import { RedisMigrationStore } from './infra/redis/redis-migration-store.js';
import { ShardCountError, ShardRecord } from './infra/redis/shard-record.js';
import { RolloutControl } from './services/rollout-control.js';
import { Router } from './services/router.js';
import { SendMessage } from './services/send-message.js';
import { StateView } from './services/state-view.js';
import { lazyChildLoggerFactory } from './http/lazy-child-logger.js';

export interface Cutover {
  app: FastifyInstance;
  services: AppServices;
  instanceId: string;
  /**
   * Loads state, starts the outbox workers, then waits for the flags; retries while Redis is away.
   * Resolves once flags are synchronized, which may never happen while Unleash is away: the
   * workers run meanwhile, and /readyz says why the instance is not ready.
   */
  start(): Promise<void>;
  /**
   * The first step of a graceful stop: /readyz answers 503 from now on and every response asks its
   * client to reconnect (elsewhere); every route keeps serving. `close()` follows `closesInMs` later.
   */
  beginDrain(closesInMs: number): void;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops taking connections, finishes the requests in flight and their writes, then releases everything. */
  close(): Promise<void>;
}

export interface CreateOptions {
  logger?: Logger;
  instanceId?: string;
  /** Fakes at the vendor-cloud boundary (tests only). */
  seams?: AdapterSeams;
}

const COUNTS_EVERY_MS = 1_000;
const USAGE_REPORT_EVERY_MS = 60_000;
/** Every 5 s: well inside the mark's 15 s life (shard-record.ts). */
const MARK_EVERY_TICKS = 5;

/** The composition root: every part is chosen and wired here, and nowhere else. */
export async function createCutover(config: Config, options: CreateOptions = {}): Promise<Cutover> {
  const logger = options.logger ?? createLogger(config.http.logLevel);
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const metrics = new Metrics();

  const redisConnections: RedisClient[] = [];
  let stateStore: StateStore;
  let outbox: Outbox;
  let initOutbox: () => Promise<void> = async () => {};
  let markRunning: (() => Promise<void>) | undefined;
  let unmark: () => Promise<void> = async () => {};
  let windows: TrafficWindows;
  let migrationStore: MigrationStore;
  let replayGuard: ReplayGuard;
  let usageStore: UsageStore;
  if (config.redis.url) {
    const redis = connectRedis({ url: config.redis.url, commandTimeoutMs: config.redis.commandTimeoutMs, logger, role: 'commands' });
    const subscriber = connectRedis({ url: config.redis.url, commandTimeoutMs: config.redis.commandTimeoutMs, logger, role: 'subscriber' });
    redisConnections.push(redis, subscriber);
    const keys = new RedisKeys(config.migration);
    stateStore = new RedisStateStore({ redis, subscriber, keys, auditMaxLen: config.state.auditMaxLen, logger });
    const redisOutbox = new RedisOutbox({
      redis, keys, shards: config.redis.shards, dedupeWindowMs: config.outbox.dedupeWindowMs,
      inflightGraceMs: config.outbox.inflightGraceMs, deadLetterMaxLen: config.outbox.deadLetterMaxLen, logger, leaseMs: config.outbox.leaseTimeoutMs,
      onFenced: (op, count) => metrics.outboxFence(op, count),
    });
    outbox = redisOutbox;
    windows = new RedisTrafficWindows(redis, keys, config.redis.shards, murmurShard(instanceId, config.redis.shards));
    migrationStore = new RedisMigrationStore(redis, keys);
    replayGuard = new RedisReplayGuard(redis, keys);
    usageStore = new RedisUsageStore(redis, keys);
    const shardRecord = new ShardRecord(redis, keys);
    initOutbox = async () => {
      await whenReady(redis, 2_000);
      // Marked, then checked; a reshard marks the layout, then checks for marks: one of them sees the other.
      await shardRecord.markRunning(instanceId, Date.now());
      await shardRecord.claim(config.redis.shards);
      await redisOutbox.init();
    };
    markRunning = () => shardRecord.markRunning(instanceId, Date.now());
    unmark = () => shardRecord.unmark(instanceId);
  } else {
    windows = new MemoryTrafficWindows();
    stateStore = new MemoryStateStore(config.state.auditMaxLen);
    migrationStore = new MemoryMigrationStore();
    replayGuard = new MemoryReplayGuard();
    usageStore = new MemoryUsageStore();
    outbox = new MemoryOutbox({
      dedupeWindowMs: config.outbox.dedupeWindowMs, inflightGraceMs: config.outbox.inflightGraceMs, deadLetterMaxLen: config.outbox.deadLetterMaxLen,
      leaseMs: config.outbox.leaseTimeoutMs, maxIds: config.outbox.memoryMaxIds, onFenced: (op, count) => metrics.outboxFence(op, count),
    });
  }

  const eligibility = new UnleashEligibility({
    flagName: config.flags.flagName, bootstrapFile: config.flags.bootstrapFile, url: config.flags.unleashUrl, token: config.flags.unleashToken,
    refreshIntervalMs: config.flags.refreshIntervalMs, fallback: config.flags.fallbackEligible, instanceId, logger,
  });

  const stateView = new StateView({ store: stateStore, migration: config.migration, pollIntervalMs: config.state.pollIntervalMs, logger, telemetry: metrics, instanceId });
  const control = new RolloutControl({ store: stateStore, view: stateView, logger });
  const recorder = new TrafficRecorder(windows, logger);
  const guard = new Guard({
    windows, stateView, control, plan: config.plan, rules: config.guard.rules,
    streakRules: { ...DEFAULT_STREAK_RULES, consecutiveFailures: config.guard.streakFailures },
    notifier: new WebhookNotifier(config.guard.webhooks, logger), telemetry: metrics, logger, instanceId,
  });
  // Every adapter call is counted once and fans out to the metrics, the fleet windows and the guard.
  const telemetry: Telemetry = {
    adapterCall(side, op, outcome, seconds) {
      metrics.adapterCall(side, op, outcome, seconds);
      recorder.record(side, op, outcome, seconds);
      if (op === 'send' && config.guard.enabled && stateView.loaded) guard.onSend(side, outcome);
    },
    message: (primary, result) => metrics.message(primary, result),
    dualWrite: (side, result) => metrics.dualWrite(side, result),
    outboxCounts: (counts) => metrics.outboxCounts(counts),
    state: (state, age) => metrics.state(state, age),
    stateAnomaly: (kind) => metrics.stateAnomaly(kind),
    stateFound: () => metrics.stateFound(),
  };

  const rawSides = { old: createAdapter(config.sides.old, logger, options.seams), new: createAdapter(config.sides.new, logger, options.seams) };
  // Only the gate reads the verified users: without it nothing follows them (no poll of Redis each second).
  const verifiedUsers = config.migrate.requireVerified ? new VerifiedUsers(migrationStore, logger) : undefined;
  const router = new Router(stateView, eligibility, config.flags.flagName, verifiedUsers);
  const usage = new UsageMeter({
    store: usageStore, prices: config.billing, slas: config.sla, logger, cohortOf: (userId) => router.route({ type: 'user', id: userId }).cohort,
  });
  const metered = config.metering.enabled ? usage : undefined;
  const sides = {
    old: new InstrumentedAdapter('old', rawSides.old, telemetry, metered),
    new: new InstrumentedAdapter('new', rawSides.new, telemetry, metered),
  };

  stateView.onChange((state, previous) => {
    // A transition only: an instance that starts while rolled back has seen no rollback happen.
    if (state.rollback && previous && !previous.rollback) metrics.rollbackSeen(state.rollback.trigger);
    if (previous) logger.info({ stateVersion: state.version, stage: state.stage, percent: state.percent, rolledBack: state.rollback !== null }, 'routing by a new state');
  });
  metrics.trackStateAge(() => stateView.ageMs / 1000);
  // Best effort, never awaited: a rollback must not wait for Unleash.
  const mirror = config.flags.mirror && new UnleashRolloutMirror({
    adminUrl: config.flags.mirror.adminUrl, adminToken: config.flags.mirror.adminToken, project: config.flags.mirror.project,
    environment: config.flags.mirror.environment, flagName: config.flags.mirror.flagName, groupId: config.flags.flagName, logger,
    onResult: (result) => {
      metrics.unleashMirror(result.ok);
      logger[result.ok ? 'info' : 'warn']({ action: 'unleash-mirror', flag: config.flags.mirror?.flagName, ...result }, result.ok ? 'mirrored the rollout into Unleash' : 'could not mirror the rollout into Unleash');
    },
  });
  if (mirror) stateView.onChange((state) => void mirror.mirror(state));

  const workers = Object.fromEntries(SIDES.map((side) => [side, new OutboxWorker({
    side, adapter: sides[side], outbox, telemetry: metrics, logger, concurrency: config.outbox.concurrency,
    maxAttempts: config.outbox.maxAttempts, backoffBaseMs: config.outbox.backoffBaseMs, backoffMaxMs: config.outbox.backoffMaxMs,
    onBridged: (from, lagSeconds) => metrics.bridgeLag(from, lagSeconds),
  })])) as Record<Side, OutboxWorker>;

  const sendMessage = new SendMessage({
    router, outbox, sides, telemetry: metrics, logger, onCommitted: (side) => workers[side].wake(), handOverDelayMs: config.outbox.backoffBaseMs, activity: metered,
  });
  const bridge = new BridgeIntake({ router, outbox, telemetry: metrics, logger, onCommitted: (side) => workers[side].wake(), activity: metered });
  const consistency = new ConsistencyCheck({ sides, telemetry: metrics, logger, ...config.migrate.consistency });
  const readHistory = new ReadHistory({ router, sides, consistency });
  const migrationSides = { old: createMigrationSide(config.sides.old, rawSides.old), new: createMigrationSide(config.sides.new, rawSides.new) };
  const migrationRunner = new MigrationRunner({
    store: migrationStore, source: migrationSides.old, target: migrationSides.new, owner: instanceId, logger, telemetry: metrics, meter: metered,
    pageSize: config.migrate.pageSize, concurrency: config.migrate.concurrency, leaseMs: config.migrate.leaseTimeoutMs,
    oldReadsPerSecond: config.migrate.oldReadsPerSecond, newWritesPerSecond: config.migrate.newWritesPerSecond,
  });
  const migration = new MigrationControl({
    store: migrationStore, stateStore, stateView, runner: migrationRunner, source: migrationSides.old, target: migrationSides.new, instanceId, logger,
    pageSize: config.migrate.pageSize, oldReadsPerSecond: config.migrate.oldReadsPerSecond, newWritesPerSecond: config.migrate.newWritesPerSecond,
    requireVerified: config.migrate.requireVerified,
  });
  const auth = new TokenAuth(config.admin.tokens, config.api.tokens, config.api.open);

  let flagsReady = false;
  let outboxReady = !config.redis.url;
  let closesAt: number | undefined;
  const readiness = async (): Promise<ReadinessReport> => {
    const checks: ReadinessReport['checks'] = {
      state: stateView.loaded ? { ok: true } : { ok: false, detail: 'rollout state not loaded yet' },
      flags: flagsReady ? { ok: true } : { ok: false, detail: `flags not synchronized yet: every user gets flags.fallbackEligible (${config.flags.fallbackEligible})` },
      outbox: outboxReady && redisConnections.every((r) => r.status === 'ready') ? { ok: true } : { ok: false, detail: 'redis not reachable: sends answer 503, routes answer from the last known state' },
    };
    if (closesAt !== undefined) checks.draining = { ok: false, detail: `draining: shutting down in ${Math.max(0, Math.ceil((closesAt - Date.now()) / 1000))}s` };
    // Ready once loaded: a later Redis outage must not take every instance out of the load
    // balancer, since route lookups go on from the last known state (fail-static).
    return { ready: checks.state.ok && checks.flags.ok && outboxReady && closesAt === undefined, checks };
  };

  const services: AppServices = {
    config, instanceId, logger, metrics, stateView, stateStore, router, sendMessage, readHistory, control, outbox, sides, auth, readiness, guard, migration,
    bridge, replayGuard, usage,
    memorySide: (side) => (rawSides[side] instanceof MemoryAdapter ? rawSides[side] : undefined),
  };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: !config.http.logRequests }),
    requestIdHeader: 'x-request-id',
    childLoggerFactory: lazyChildLoggerFactory,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    // Closing waits for the requests in flight and closes only idle connections: `true` would
    // reset requests whose writes may already have landed on both sides.
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(cutoverApp, { services });
  const connections = new ConnectionDrain(app.server);

  let countsTimer: NodeJS.Timeout | undefined;
  let usageTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const publishCounts = async (): Promise<void> => {
    try {
      metrics.outboxCounts(await outbox.counts());
    } catch {
      // Redis away: the gauges keep their last values; the state-age gauge tells the story.
    }
  };

  const start = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await initOutbox();
        outboxReady = true;
        await stateView.start();
        break;
      } catch (err) {
        // A layout this instance must not write into is not a passing outage: stop, saying why.
        if (err instanceof ShardCountError) throw err;
        if (attempt % 10 === 0) logger.warn({ err: { message: (err as Error).message } }, 'cannot load rollout state yet; retrying (sends answer 503 meanwhile)');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (stopped) return;
    // Before the flags: owed writes drain and the guard watches whatever Unleash does.
    for (const side of SIDES) workers[side].start();
    recorder.start();
    usage.start();
    // The projection reads a month of hours from Redis: once a minute, and only where a side has a price.
    if (config.billing.old || config.billing.new || config.sla.old || config.sla.new) {
      const refresh = (): void => void usage.report().then((report) => metrics.usageReport(report), () => undefined);
      usageTimer = setInterval(refresh, USAGE_REPORT_EVERY_MS);
      usageTimer.unref();
      refresh();
    }
    if (config.guard.enabled) guard.start();
    migrationRunner.start();
    await verifiedUsers?.start();
    for (const side of SIDES) {
      const adapter = rawSides[side];
      if (!(adapter instanceof AgoraRtmAdapter) || !adapter.relays) continue;
      // Not awaited: a relay that cannot subscribe yet must not hold the start; its status says why.
      void adapter.relay((message) => void bridge.acceptRelayed(side, message)).then(
        (status) => logger.info({ side, subscribed: status.subscribed, failed: status.failed }, 'bridge relay listening on group channels'),
        (err: Error) => logger.warn({ side, err: { message: err.message } }, 'bridge relay not started yet; the worker subscribes when it starts'),
      );
    }
    let ticks = 0;
    countsTimer = setInterval(() => {
      void publishCounts();
      if (ticks++ % MARK_EVERY_TICKS === 0) void markRunning?.().catch(() => undefined);
    }, COUNTS_EVERY_MS);
    countsTimer.unref();
    await publishCounts();
    await eligibility.ready();
    flagsReady = true;
  };

  const beginDrain = (closesInMs: number): void => {
    closesAt ??= Date.now() + closesInMs;
    connections.begin();
  };

  const close = async (): Promise<void> => {
    stopped = true;
    // Also without a drain period: a response finishing now must not leave its connection open.
    beginDrain(0);
    clearInterval(countsTimer);
    clearInterval(usageTimer);
    guard.stop();
    await app.close();
    await recorder.stop().catch(() => undefined);
    await usage.stop().catch(() => undefined);
    // The last requests' commits first, so the workers' last pass writes their secondaries.
    await migrationRunner.stop();
    verifiedUsers?.stop();
    await outbox.quiesce().catch(() => undefined);
    await Promise.all(SIDES.map((side) => workers[side].stop()));
    stateView.stop();
    await unmark().catch(() => undefined);
    await outbox.close();
    await stateStore.close();
    await eligibility.close();
    await mirror?.close();
    await Promise.all(SIDES.map((side) => migrationSides[side].close?.()));
    await Promise.all(SIDES.map((side) => sides[side].close()));
    await Promise.all(redisConnections.map((r) => r.quit().catch(() => r.disconnect())));
  };

  return { app, services, instanceId, start, beginDrain, inFlight: () => connections.inFlight(), close };
}

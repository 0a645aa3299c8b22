
import { destination } from 'pino';
import { HttpLegacyMigrationSide } from '../../src/adapters/http-legacy-migration-side.js';
import { DEFAULT_MAX_MESSAGES, MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import { MemoryMigrationSide } from '../../src/adapters/memory-migration-side.js';
import type { MigrationWriter } from '../../src/adapters/migration-side.js';
import type { SideConfig } from '../../src/config/config-schema.js';
import { parseDuration } from '../../src/config/duration.js';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryMigrationStore } from '../../src/infra/memory/memory-migration-store.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/infra/redis/redis-connection.js';
import { RedisMigrationStore } from '../../src/infra/redis/redis-migration-store.js';
import type { DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import type { MigrationStore } from '../../src/services/ports/migration-store.js';
import { MigrationRig, runJob, type JobFigures } from './migration-job.js';
import { startRedis, type BenchRedis } from './redis.js';
import { startSim, type SimChild } from './sim-child.js';

export type Target = 'memory' | 'sim';
export type StoreKind = 'memory' | 'redis';

export interface RowRequest {
  dataset: DatasetSpec;
  target: Target;
  store: StoreKind;
  pageSize: number;
  concurrency: number;
  /** When set, the sims run with --cpu-prof and write their profiles here. */
  profileDir?: string;
}

export interface Row extends RowRequest {
  size: number;
  copy: JobFigures;
  verify: JobFigures;
  /** Messages the target holds after the copy (the sim's /_sim/stats `stored`, the MemoryAdapter's size). */
  held: number;
  /** What did not add up, one line each; empty when the copy and the verify are right. */
  problems: string[];
}

/**
 * The config as the gateway would load it with these sides and knobs: the schema checks the knobs
 * (a page over the contract's 1000 fails here, naming the key) and fills in the sides' defaults.
 */
function configFor(request: RowRequest, sides: { old: object; new: object }): Config {
  return loadConfig({
    env: {},
    overrides: { 'sides.old': sides.old, 'sides.new': sides.new, 'migrate.pageSize': request.pageSize, 'migrate.concurrency': request.concurrency },
  });
}

function httpSide(config: SideConfig): HttpLegacyMigrationSide {
  if (config.type !== 'http-legacy') throw new Error(`expected an http-legacy side, got ${config.type}`);
  return new HttpLegacyMigrationSide({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: parseDuration(config.timeout)!, retries: config.retries, connections: config.connections });
}

/** What must hold after a copy into an empty target and a verify; each miss is a line of the report. */
function problemsOf(row: Omit<Row, 'problems'>): string[] {
  const { copy, verify, size, held } = row;
  const expected = copy.expected;
  const c = copy.counters;
  const v = verify.counters;
  const problems: string[] = [];
  const want = (what: string, got: number | undefined, wanted: number): void => {
    if ((got ?? 0) !== wanted) problems.push(`${what}: ${(got ?? 0).toLocaleString('en-US')}, expected ${wanted.toLocaleString('en-US')}`);
  };
  want('messages the old side listed', expected.messages, size);
  want('messages the copy created', c['messages.created'], expected.messages);
  want('messages the copy found already there', c['messages.existing'], 0);
  want('messages the target holds', held, expected.messages);
  want('users copied', c['done.user'], expected.users);
  want('groups copied', c['done.group'], expected.groups);
  want('members written', c['members.written'], expected.members);
  want('conversations copied', c['done.conversation'], expected.conversations);
  want('users or groups missing on old during the copy', (c['missing.user'] ?? 0) + (c['missing.group'] ?? 0), 0);
  want('verify mismatches', v.mismatches, 0);
  want('messages verified', v['messages.verified'], expected.messages);
  want('members verified', v['members.verified'], expected.members);
  want('conversations verified', v['done.conversation'], expected.conversations);
  want('users verified', verify.verifiedUsers, expected.users);
  return problems;
}

/**
 * One row: the old sim with the generated past, an empty target, a copy to its end, then a verify.
 * Meant to run alone in a process (row-process.ts), so that its RSS owes nothing to an earlier row.
 */
export async function runRow(request: RowRequest, log: (line: string) => void): Promise<Row> {
  const { dataset, target, store: storeKind, profileDir } = request;
  const size = dataset.messages;
  const profile = (name: string): string[] => (profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}-${size}-${target}-${storeKind}.cpuprofile`] : []);
  // stdout carries the row's JSON: the engine's warnings go to stderr.
  const logger = createLogger('warn', destination(2));
  const opened: Array<() => Promise<void>> = [];
  try {
    const old = await startSim({ name: 'old', dataset, nodeArgs: profile('sim-old') });
    opened.push(() => old.stop());
    let fresh: SimChild | undefined;
    if (target === 'sim') {
      fresh = await startSim({ name: 'new', nodeArgs: profile('sim-new') });
      opened.push(() => (fresh as SimChild).stop());
    }
    // The memory side must keep every message (it forgets the oldest past its cap).
    const newSide = fresh ? { type: 'http-legacy', baseUrl: fresh.url } : { type: 'memory', maxMessages: Math.max(size, DEFAULT_MAX_MESSAGES) };
    const config = configFor(request, { old: { type: 'http-legacy', baseUrl: old.url }, new: newSide });
    const source = httpSide(config.sides.old);
    opened.push(() => source.close());
    let memory: MemoryAdapter | undefined;
    let destinationSide: MigrationWriter;
    if (config.sides.new.type === 'memory') {
      memory = new MemoryAdapter(Math.random, config.sides.new.maxMessages);
      destinationSide = new MemoryMigrationSide(memory);
    } else {
      const side = httpSide(config.sides.new);
      opened.push(() => side.close());
      destinationSide = side;
    }
    let redis: BenchRedis | undefined;
    let store: MigrationStore;
    if (storeKind === 'redis') {
      redis = await startRedis();
      opened.push(() => (redis as BenchRedis).destroy());
      const client: RedisClient = connectRedis({ url: redis.url, commandTimeoutMs: 5_000, logger, role: 'commands' });
      opened.push(async () => client.disconnect());
      await whenReady(client, 5_000);
      store = new RedisMigrationStore(client, new RedisKeys('bench-migrate'));
    } else {
      store = new MemoryMigrationStore();
    }
    const rig = await MigrationRig.start({
      store, source, target: destinationSide, pageSize: config.migrate.pageSize, concurrency: config.migrate.concurrency, leaseMs: config.migrate.leaseTimeoutMs, logger,
    });
    opened.push(() => rig.stop());

    const others: Record<string, number | undefined> = { old: old.pid };
    if (fresh) others.new = fresh.pid;
    if (redis) others.redis = redis.pid;
    const label = `${size.toLocaleString('en-US')} messages, ${target} target, ${storeKind} store`;
    log(`${label}: copy`);
    const copy = await runJob(rig, 'copy', others);
    log(`${label}: copy done in ${copy.wallS.toFixed(1)} s (${Math.round(copy.messagesPerS).toLocaleString('en-US')} messages/s); verify`);
    const held = memory ? memory.size : (await (fresh as SimChild).stats()).stored;
    const verify = await runJob(rig, 'verify', others);
    log(`${label}: verify done in ${verify.wallS.toFixed(1)} s (${Math.round(verify.messagesPerS).toLocaleString('en-US')} messages/s)`);
    const row = { ...request, size, copy, verify, held };
    const problems = problemsOf(row);
    for (const problem of problems) log(`WRONG (${label}): ${problem}`);
    return { ...row, problems };
  } finally {
    for (const close of opened.reverse()) await close();
  }
}

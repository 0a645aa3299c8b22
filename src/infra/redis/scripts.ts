import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/** Lua files live in src/ (they ship as they are); this module sits in dist/src/infra/redis. */
const LUA_DIR = new URL('../../../../src/infra/redis/lua/', import.meta.url);

/** name → file; the number in a file's name is its key count, none = variable (first arg). */
const SCRIPTS = {
  casState: 'cas-state-3.lua',
  beginMessages: 'begin-4.lua',
  commitMessages: 'commit-4.lua',
  recommitMessages: 'recommit-2.lua',
  abortMessage: 'abort-2.lua',
  handOverIntent: 'hand-over-2.lua',
  leaseRecoveries: 'lease-recoveries-2.lua',
  leaseOwed: 'lease-owed-2.lua',
  retryWrite: 'retry-2.lua',
  retryIntent: 'retry-intent-2.lua',
  deadLetterWrite: 'dead-letter-3.lua',
  deadLetterIntent: 'dead-letter-intent-3.lua',
  redrive: 'redrive-4.lua',
  renewLeases: 'renew-leases-1.lua',
  adoptLegacy: 'adopt-legacy-4.lua',
  migrationStart: 'migration-start-8.lua',
  migrationAdvance: 'migration-advance-3.lua',
  migrationLease: 'migration-lease-5.lua',
  migrationCheckpoint: 'migration-checkpoint-4.lua',
  migrationComplete: 'migration-complete-8.lua',
  migrationStatus: 'migration-status-1.lua',
  migrationVerify: 'migration-verify-3.lua',
  onlinePeak: 'online-peak-2.lua',
} as const;

/** Shared Lua put before a script's own text (Redis runs each script alone: no require). */
const LIBRARIES: Partial<Record<keyof typeof SCRIPTS, string[]>> = {
  beginMessages: ['lib/packed-fields.lua'],
  commitMessages: ['lib/packed-fields.lua'],
  recommitMessages: ['lib/packed-fields.lua'],
};

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    casState(
      state: string, audit: string, lossNote: string, expected: Arg, next: string, entry: string, maxLen: Arg, channel: string, unlessLossNoted: '0' | '1',
    ): Result<[-1 | 0 | 1, string | null], Context>;
    beginMessages(intentsOld: string, intentsNew: string, owedOld: string, owedNew: string, messagePrefix: string, packed: string): Result<string[], Context>;
    commitMessages(
      intentsOld: string, intentsNew: string, owedOld: string, owedNew: string,
      messagePrefix: string, windowMs: Arg, leaseOld: '0' | '1', leaseNew: '0' | '1', leaseEnd: Arg, now: Arg, packed: string,
    ): Result<string[], Context>;
    recommitMessages(owedOld: string, owedNew: string, messagePrefix: string, windowMs: Arg, now: Arg, packed: string): Result<number[], Context>;
    abortMessage(message: string, queue: string, member: string, begunScore: Arg): Result<number, Context>;
    handOverIntent(queue: string, record: string, member: string, begunScore: Arg, dueScore: Arg, pending: string): Result<number, Context>;
    leaseRecoveries(intents: string, owedOther: string, now: Arg, max: Arg, leaseEnd: Arg, messagePrefix: string): Result<string[], Context>;
    leaseOwed(owed: string, tries: string, now: Arg, max: Arg, leaseEnd: Arg): Result<string[], Context>;
    retryWrite(owed: string, tries: string, member: string, lease: Arg, dueAt: Arg, tried: Arg): Result<number, Context>;
    retryIntent(record: string, queue: string, member: string, dueScore: Arg, lease: Arg, pending: string): Result<number, Context>;
    deadLetterWrite(
      owed: string, tries: string, dead: string, member: string, lease: Arg, maxLen: Arg, attempts: Arg, reason: string, now: Arg,
    ): Result<string | null, Context>;
    deadLetterIntent(
      message: string, queue: string, dead: string, member: string, maxLen: Arg, attempts: Arg, reason: string, now: Arg, lease: Arg, record: string, fingerprint: string,
    ): Result<number, Context>;
    redrive(dead: string, owed: string, intents: string, owedOther: string, max: Arg, messagePrefix: string, now: Arg): Result<number, Context>;
    renewLeases(owed: string, score: Arg, ...membersAndLeases: Arg[]): Result<string[], Context>;
    adoptLegacy(stream: string, retries: string, owed: string, tries: string, now: Arg, max: Arg): Result<number, Context>;
    migrationStart(...keysAndArgs: Arg[]): Result<number, Context>;
    migrationAdvance(...keysAndArgs: Arg[]): Result<number, Context>;
    migrationLease(...keysAndArgs: Arg[]): Result<[string, string, string | null, number] | null, Context>;
    migrationCheckpoint(...keysAndArgs: Arg[]): Result<number, Context>;
    migrationComplete(...keysAndArgs: Arg[]): Result<number, Context>;
    migrationStatus(...keysAndArgs: Arg[]): Result<number, Context>;
    migrationVerify(...keysAndArgs: Arg[]): Result<number, Context>;
    onlinePeak(minute: string, hour: string, ttlSeconds: Arg, field: string, ...users: string[]): Result<number, Context>;
  }
}

/** Loads every script once per connection (EVALSHA, falling back to EVAL after a Redis restart). */
export function defineScripts(redis: RedisClient): void {
  for (const [name, file] of Object.entries(SCRIPTS) as Array<[keyof typeof SCRIPTS, string]>) {
    const keyCount = /-(\d+)\.lua$/.exec(file)?.[1];
    // `#!lua` (Redis 7): a Cluster node then refuses a script that reaches a key outside its declared
    // key's slot, even one on the same node, which a script without it may touch unchecked.
    const lua = ['#!lua', ...[...(LIBRARIES[name] ?? []), file].map((part) => readFileSync(new URL(part, LUA_DIR), 'utf8'))].join('\n');
    redis.defineCommand(name, keyCount === undefined ? { lua } : { lua, numberOfKeys: Number(keyCount) });
  }
}

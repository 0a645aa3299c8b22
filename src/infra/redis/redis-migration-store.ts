import type { RedisClient } from './redis-connection.js';
import { COUNTERS, type CounterName, type Counters, type Job, type JobProgress, type JobStatus } from '../../domain/migration/job.js';
import type { Mismatch } from '../../domain/migration/mismatch.js';
import { decodeUnit, encodeUnit, unitKey, type ListingPhase, type ListingPosition, type Unit } from '../../domain/migration/units.js';
import type { MigrationStore, UnitLease, UnitResult } from '../../services/ports/migration-store.js';
import { MISMATCHES_KEPT } from '../memory/memory-migration-store.js';
import type { RedisKeys } from './keys.js';

/** Candidates read per step of a finalize, so no single command holds Redis long. */
const FINALIZE_CHUNK = 1_000;
/** A finalize that stops answering is picked up by another instance after this. */
const FINALIZE_LOCK_MS = 60_000;

/**
 * The migration job's checkpoints in Redis, shared by every instance; each change is one Lua
 * script (lua/migration-*.lua), fenced by the unit's owner where a unit is concerned.
 */
export class RedisMigrationStore implements MigrationStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}

  async progress(): Promise<JobProgress | null> {
    const [fields, open, leased] = await Promise.all([
      this.redis.hgetall(this.key('job')),
      this.redis.zcard(this.key('open')),
      this.redis.zcount(this.key('open'), `(${Date.now()}`, '+inf'),
    ]);
    if (fields.job === undefined) return null;
    const job = JSON.parse(fields.job) as Job;
    job.status = fields.status as JobStatus;
    job.finishedAt = fields.finishedAt === undefined ? null : Number(fields.finishedAt);
    const counters: Counters = {};
    for (const name of COUNTERS) {
      const value = fields[`n:${name}`];
      if (value !== undefined) counters[name] = Number(value);
    }
    return { job, listing: { phase: fields.phase as ListingPhase, cursor: decodeCursor(fields.cursor) }, counters, units: { open, leased } };
  }

  async start(job: Job): Promise<boolean> {
    const keys = ['job', 'units', 'open', 'owners', 'checkpoints', 'mismatches', 'candidates', 'held'] as const;
    const { status: _status, finishedAt: _finishedAt, ...rest } = job;
    return (await this.redis.migrationStart(...keys.map((k) => this.key(k)), job.id, JSON.stringify(rest), job.status)) === 1;
  }

  async setStatus(jobId: string, from: readonly JobStatus[], status: JobStatus, at: number): Promise<boolean> {
    return (await this.redis.migrationStatus(this.key('job'), jobId, status, status === 'done' ? at : '', ...from)) === 1;
  }

  async advanceListing(jobId: string, from: ListingPosition, to: ListingPosition, units: Unit[], counts: Counters): Promise<boolean> {
    const pairs = counterPairs(counts);
    const unitArgs = units.flatMap((unit) => [unitKey(unit), encodeUnit(unit)]);
    const reply = await this.redis.migrationAdvance(
      this.key('job'), this.key('units'), this.key('open'),
      jobId, from.phase, encodeCursor(from.cursor), to.phase, encodeCursor(to.cursor), pairs.length / 2, ...pairs, ...unitArgs,
    );
    return reply === 1;
  }

  async lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<UnitLease | null> {
    const reply = await this.redis.migrationLease(
      this.key('job'), this.key('open'), this.key('owners'), this.key('units'), this.key('checkpoints'), jobId, owner, now, now + leaseMs,
    );
    if (reply === null) return null;
    const [key, text, checkpoint, takenOver] = reply;
    const unit = decodeUnit(text);
    if (unit === undefined) throw new Error(`migration unit ${key} has an unreadable descriptor in Redis`);
    return { key, unit, checkpoint: checkpoint ?? undefined, takenOver: takenOver === 1 };
  }

  async renew(jobId: string, key: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return this.fenced(jobId, key, owner, '', now + leaseMs, {});
  }

  release(jobId: string, key: string, owner: string, availableAt: number): Promise<boolean> {
    return this.fenced(jobId, key, owner, '', availableAt, {});
  }

  async heartbeat(owner: string, now: number, windowMs: number): Promise<number> {
    const key = this.key('workers');
    const [, , [, live]] = (await this.redis.multi().zadd(key, now, owner).zremrangebyscore(key, '-inf', now - windowMs).zcard(key).exec()) as [unknown, unknown, [unknown, number]];
    return live;
  }

  async checkpoint(jobId: string, key: string, owner: string, cursor: string | null, counts: Counters): Promise<boolean> {
    return this.fenced(jobId, key, owner, encodeCursor(cursor), '', counts);
  }

  async complete(jobId: string, key: string, owner: string, result: UnitResult): Promise<boolean> {
    const counts: Counters = { ...result.counts };
    const fixed = result.mismatches.filter((m) => m.fixed).length;
    if (result.mismatches.length > 0) counts.mismatches = (counts.mismatches ?? 0) + result.mismatches.length;
    if (fixed > 0) counts.fixed = (counts.fixed ?? 0) + fixed;
    const pairs = counterPairs(counts);
    const keys = ['job', 'open', 'owners', 'units', 'checkpoints', 'mismatches', 'candidates', 'held'] as const;
    const reply = await this.redis.migrationComplete(
      ...keys.map((k) => this.key(k)), jobId, key, owner, MISMATCHES_KEPT,
      pairs.length / 2, result.mismatches.length, result.verifiedUsers.length, result.heldUsers.length,
      ...pairs, ...result.mismatches.map((m) => JSON.stringify(m)), ...result.verifiedUsers, ...result.heldUsers,
    );
    return reply === 1;
  }

  async mismatches(jobId: string, offset: number, limit: number): Promise<Mismatch[]> {
    if ((await this.redis.hget(this.key('job'), 'id')) !== jobId) return [];
    const items = await this.redis.lrange(this.key('mismatches'), offset, offset + limit - 1);
    return items.map((text) => JSON.parse(text) as Mismatch);
  }

  async finalize(jobId: string, now: number): Promise<void> {
    const lock = this.key('finalizing');
    if ((await this.redis.set(lock, jobId, 'PX', FINALIZE_LOCK_MS, 'NX')) !== 'OK') return;
    try {
      const fields = await this.redis.hmget(this.key('job'), 'id', 'status');
      if (fields[0] !== jobId || fields[1] !== 'finalizing') return;
      let cursor = '0';
      do {
        const [next, users] = await this.redis.sscan(this.key('candidates'), cursor, 'COUNT', FINALIZE_CHUNK);
        cursor = next;
        if (users.length > 0) await this.redis.migrationVerify(this.key('verified'), this.key('verified-seq'), this.key('held'), ...users);
        await this.redis.pexpire(lock, FINALIZE_LOCK_MS);
      } while (cursor !== '0');
      await this.setStatus(jobId, ['finalizing'], 'done', now);
    } finally {
      await this.redis.del(lock);
    }
  }

  async verifiedSince(after: number, limit: number): Promise<{ users: string[]; sequence: number }> {
    const reply = await this.redis.zrangebyscore(this.key('verified'), `(${after}`, '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
    const users: string[] = [];
    let sequence = after;
    for (let i = 0; i < reply.length; i += 2) {
      users.push(reply[i] as string);
      sequence = Number(reply[i + 1]);
    }
    return { users, sequence };
  }

  verifiedCount(): Promise<number> {
    return this.redis.zcard(this.key('verified'));
  }

  async close(): Promise<void> {}

  private async fenced(jobId: string, key: string, owner: string, checkpoint: string, leaseEnd: number | '', counts: Counters): Promise<boolean> {
    const reply = await this.redis.migrationCheckpoint(
      this.key('job'), this.key('owners'), this.key('checkpoints'), this.key('open'), jobId, key, owner, checkpoint, leaseEnd, ...counterPairs(counts),
    );
    return reply === 1;
  }

  private key(part: Parameters<RedisKeys['job']>[0]): string {
    return this.keys.job(part);
  }
}

function counterPairs(counts: Counters): Array<string | number> {
  const pairs: Array<string | number> = [];
  for (const [name, value] of Object.entries(counts) as Array<[CounterName, number]>) if (value) pairs.push(name, value);
  return pairs;
}

/** A cursor in a script argument: '-' for none, else prefixed, so an empty cursor stays distinct. */
function encodeCursor(cursor: string | null): string {
  return cursor === null ? '-' : `c${cursor}`;
}

function decodeCursor(text: string | undefined): string | null {
  return text === undefined || text === '-' ? null : text.slice(1);
}

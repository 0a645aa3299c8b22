import type { RedisClient } from './redis-connection.js';
import type { Logger } from 'pino';
import type { RolloutState } from '../../domain/rollout-state.js';
import type { AuditEntry, CasResult, Replication, StateStore } from '../../services/ports/state-store.js';
import type { RedisKeys } from './keys.js';
import { masterConnectionFor } from './slot-node.js';

/** A loss note outlives any incident it helps with, then goes. */
const LOSS_NOTE_SECONDS = 7 * 24 * 3600;
/** How long a state write waits for its replicas; below any sane command timeout. */
const REPLICA_WAIT_MS = 500;

export interface RedisStateStoreOptions {
  redis: RedisClient;
  /** A connection of its own: a subscribed connection can run nothing else. */
  subscriber: RedisClient;
  keys: RedisKeys;
  auditMaxLen: number;
  logger: Logger;
}

/** The rollout record in Redis: a hash written only by the CAS script, which also audits and publishes. */
export class RedisStateStore implements StateStore {
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private subscribed: Promise<unknown> | undefined;

  constructor(private readonly options: RedisStateStoreOptions) {}

  async read(): Promise<RolloutState | null> {
    const json = await this.options.redis.hget(this.options.keys.state, 's');
    return json ? parseState(json) : null;
  }

  async compareAndSet(expectedVersion: number, next: RolloutState, audit: AuditEntry, options: { unlessLossNoted?: boolean } = {}): Promise<CasResult> {
    const { redis, keys, auditMaxLen } = this.options;
    const [ok, json] = await redis.casState(
      keys.state, keys.audit, keys.stateLoss, expectedVersion, JSON.stringify(next), JSON.stringify(audit), auditMaxLen, keys.events, options.unlessLossNoted ? '1' : '0',
    );
    if (ok === 1) return { ok: true, state: next, replication: await this.replicate() };
    if (ok === -1) return { ok: false, current: null, lossNoted: true };
    return { ok: false, current: json ? parseState(json) : null };
  }

  /**
   * WAIT for the replicas connected now, so a failover right after a rollback does not promote a
   * replica that never saw it. A replica that does not answer in time is reported, not waited on.
   * On a Cluster both go to the master of the state's slot; unknown (no reply field) if none is named.
   */
  private async replicate(): Promise<Replication | undefined> {
    const { logger } = this.options;
    const redis = masterConnectionFor(this.options.redis, this.options.keys.state);
    if (!redis) {
      logger.warn('a state write was not checked against replicas: the Cluster names no master for its slot');
      return undefined;
    }
    const info = await redis.info('replication');
    const replicas = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    if (replicas === 0) return { replicas, acked: 0 };
    const acked = Number(await redis.wait(replicas, REPLICA_WAIT_MS));
    if (acked < replicas) logger.warn({ replicas, acked, waitedMs: REPLICA_WAIT_MS }, 'a state write reached fewer replicas than are connected; a failover now could lose it');
    return { replicas, acked };
  }

  subscribe(onChange: (state: RolloutState) => void): () => void {
    const { subscriber, keys, logger } = this.options;
    this.listeners.add(onChange);
    if (!this.subscribed) {
      subscriber.on('message', (channel: string, json: string) => {
        if (channel !== keys.events) return;
        let state: RolloutState;
        try {
          state = parseState(json);
        } catch {
          logger.warn({ channel }, 'ignored a malformed state event');
          return;
        }
        for (const listener of this.listeners) listener(state);
      });
      this.subscribed = subscriber.subscribe(keys.events).catch((err: Error) => {
        logger.warn({ err: { message: err.message } }, 'state subscription failed; relying on the periodic re-read');
      });
    }
    return () => this.listeners.delete(onChange);
  }

  async noteLoss(by: string, at: string): Promise<void> {
    await this.options.redis.set(this.options.keys.stateLoss, JSON.stringify({ by, at }), 'EX', LOSS_NOTE_SECONDS);
  }

  async lossNoted(): Promise<{ by: string; at: string } | null> {
    const json = await this.options.redis.get(this.options.keys.stateLoss);
    return json ? (JSON.parse(json) as { by: string; at: string }) : null;
  }

  async clearLoss(): Promise<void> {
    await this.options.redis.del(this.options.keys.stateLoss);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    const { redis, keys, auditMaxLen } = this.options;
    await redis.xadd(keys.audit, 'MAXLEN', '~', auditMaxLen, '*', 'e', JSON.stringify(entry));
  }

  async audit(limit: number, beforeId?: string): Promise<Array<AuditEntry & { id: string }>> {
    const end = beforeId ? `(${beforeId}` : '+';
    const rows = await this.options.redis.xrevrange(this.options.keys.audit, end, '-', 'COUNT', limit);
    return rows.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as AuditEntry) }));
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** A stored state; records written by builds before generations existed get the empty one. */
function parseState(json: string): RolloutState {
  const state = JSON.parse(json) as RolloutState;
  state.generation ??= '';
  return state;
}

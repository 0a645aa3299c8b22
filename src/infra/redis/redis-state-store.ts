import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RolloutState } from '../../domain/rollout-state.js';
import type { AuditEntry, CasResult, StateStore } from '../../services/ports/state-store.js';
import type { RedisKeys } from './keys.js';

export interface RedisStateStoreOptions {
  redis: Redis;
  /** A connection of its own: a subscribed connection can run nothing else. */
  subscriber: Redis;
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
    return json ? (JSON.parse(json) as RolloutState) : null;
  }

  async compareAndSet(expectedVersion: number, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    const { redis, keys, auditMaxLen } = this.options;
    const [ok, json] = await redis.casState(
      keys.state, keys.audit, expectedVersion, JSON.stringify(next), JSON.stringify(audit), auditMaxLen, keys.events,
    );
    if (ok === 1) return { ok: true, state: next };
    return { ok: false, current: json ? (JSON.parse(json) as RolloutState) : null };
  }

  subscribe(onChange: (state: RolloutState) => void): () => void {
    const { subscriber, keys, logger } = this.options;
    this.listeners.add(onChange);
    if (!this.subscribed) {
      subscriber.on('message', (channel: string, json: string) => {
        if (channel !== keys.events) return;
        let state: RolloutState;
        try {
          state = JSON.parse(json) as RolloutState;
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

  async audit(limit: number, beforeId?: string): Promise<Array<AuditEntry & { id: string }>> {
    const end = beforeId ? `(${beforeId}` : '+';
    const rows = await this.options.redis.xrevrange(this.options.keys.audit, end, '-', 'COUNT', limit);
    return rows.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1] ?? '{}') as AuditEntry) }));
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

import type { ReplayGuard } from '../../services/ports/replay-guard.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** Claims shared by every instance: one `SET NX PX` per webhook taken. */
export class RedisReplayGuard implements ReplayGuard {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.bridgeSeen(key), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.keys.bridgeSeen(key));
  }
}

import type { ReplayGuard } from '../../services/ports/replay-guard.js';
import { FifoQueue } from './fifo-queue.js';

/**
 * Claims held in memory (one instance, the embedded default). Every claim lives the same
 * `ttlMs` in practice, so insertion order is expiry order and the oldest are pruned first.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly until = new Map<string, number>();
  private readonly order = new FifoQueue<string>();

  constructor(private readonly clock: () => number = Date.now) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    this.prune(now);
    const held = this.until.get(key);
    if (held !== undefined && held > now) return false;
    this.until.set(key, now + ttlMs);
    this.order.push(key);
    return true;
  }

  async release(key: string): Promise<void> {
    this.until.delete(key);
  }

  private prune(now: number): void {
    for (let key = this.order.peek(); key !== undefined; key = this.order.peek()) {
      const held = this.until.get(key);
      if (held !== undefined && held > now) return;
      this.order.shift();
      if (held !== undefined) this.until.delete(key);
    }
  }
}

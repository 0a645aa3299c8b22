import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls per second for one instance, with a burst of one second's worth. `rate` may change (the
 * fleet limit is shared among the instances working, which come and go); 0 = no limit.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private perSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = Math.max(1, perSecond);
    this.last = now();
  }

  setRate(perSecond: number): void {
    this.refill();
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, Math.max(1, perSecond));
  }

  get rate(): number {
    return this.perSecond;
  }

  /** Waits until a call may go. Concurrent callers queue by arrival, each reserving its token. */
  async take(): Promise<void> {
    if (this.perSecond <= 0) return;
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    await sleep((-this.tokens / this.perSecond) * 1000);
  }

  private refill(): void {
    const now = this.now();
    if (this.perSecond > 0) this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

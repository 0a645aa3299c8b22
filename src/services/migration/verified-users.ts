import type { Logger } from 'pino';
import type { MigrationStore } from '../ports/migration-store.js';

/** Users read per call while catching up, so a million verified users load in a thousand calls. */
const BATCH = 1_000;

/**
 * The gate's view of who is verified: every verified user in a Set (the route decision asks on
 * every send, so it must not wait on Redis), kept up by asking the store for what was verified
 * since the last sequence seen. Verification only grows, so a user once admitted stays admitted.
 */
export class VerifiedUsers {
  private readonly users = new Set<string>();
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly store: MigrationStore, private readonly logger: Logger, private readonly pollMs = 1_000) {}

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  get size(): number {
    return this.users.size;
  }

  start(): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
    return this.refresh();
  }

  /** Catches up with the store now (tests, and right after a verify finishes on this instance). */
  refresh(): Promise<void> {
    this.polling ??= this.catchUp().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async catchUp(): Promise<void> {
    try {
      for (;;) {
        const { users, sequence } = await this.store.verifiedSince(this.sequence, BATCH);
        for (const user of users) this.users.add(user);
        this.sequence = sequence;
        if (users.length < BATCH) return;
      }
    } catch (err) {
      // Not yet verified is the safe answer meanwhile: a held user stays on old a little longer.
      this.logger.warn({ err: { message: (err as Error).message } }, 'migration gate: cannot read verified users; retrying');
    }
  }
}

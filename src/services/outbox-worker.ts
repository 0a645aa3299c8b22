import type { Logger } from 'pino';
import { toAdapterError } from '../adapters/adapter-error.js';
import { deliver, type MessagingAdapter } from '../adapters/messaging-adapter.js';
import { backoffDelay } from '../domain/backoff.js';
import type { Side } from '../domain/message.js';
import type { Outbox, OwedWrite, Receipt } from './ports/outbox.js';
import type { Telemetry } from './ports/telemetry.js';

export interface OutboxWorkerOptions {
  side: Side;
  adapter: MessagingAdapter;
  outbox: Outbox;
  telemetry: Telemetry;
  logger: Logger;
  /** Writes in flight at once for this side. */
  concurrency: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  clock?: () => number;
  /** Consecutive transient failures after which the side counts as down (probe, don't burn tries). */
  tripAfter?: number;
  /** Told when a bridged message (one a client sent through the other side) reached this side. */
  onBridged?: (from: Side, lagSeconds: number) => void;
}

const IDLE_MIN_MS = 2;
/**
 * After a partial batch, let this long of commits gather before the next lease: secondary writes
 * are asynchronous anyway, and each lease (a Redis round trip, or a pass over the memory queue)
 * then carries tens of writes instead of a few. Costs up to this much secondary lag under load.
 */
const GATHER_MS = 10;
const IDLE_MAX_MS = 50;
const RECOVERY_EVERY_MS = 500;

/**
 * Delivers what the outbox owes one side: secondary writes, and primaries whose request died
 * (recovery). Retries with jittered exponential backoff, dead-letters after `maxAttempts` or a
 * permanent refusal. While the side is down it stops taking work and probes its health, so an
 * outage does not use up every message's tries; when the side is back, the backlog drains.
 */
export class OutboxWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private consecutiveFailures = 0;
  private lastRecovery = 0;
  private outboxFailing = false;
  private readonly clock: () => number;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Nudges an idle worker (a local commit just queued work for this side). */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Stops, after a last pass over what is owed to this side (what this instance's commits handed
   * it, and in embedded mode everything, which would otherwise die with the process), for at most
   * `lastPassMs`.
   */
  async stop(lastPassMs = 5_000): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    const deadline = this.clock() + lastPassMs;
    while (!this.down && this.clock() < deadline) {
      try {
        if ((await this.drainOnce()) === 0) return;
      } catch {
        return;
      }
    }
  }

  get down(): boolean {
    return this.consecutiveFailures >= (this.options.tripAfter ?? 5);
  }

  private async run(): Promise<void> {
    let idleMs = IDLE_MIN_MS;
    while (this.running) {
      let worked = 0;
      try {
        if (this.down) {
          await this.probe();
        } else {
          worked = await this.drainOnce();
        }
        if (this.outboxFailing) this.options.logger.info({ side: this.options.side }, 'outbox reachable again');
        this.outboxFailing = false;
      } catch (err) {
        // Once per outage, not once per try.
        if (!this.outboxFailing) this.options.logger.warn({ err: { message: (err as Error).message }, side: this.options.side }, 'outbox worker cannot reach the outbox; retrying');
        this.outboxFailing = true;
        idleMs = IDLE_MAX_MS * 4;
      }
      // A full batch: more is waiting, go on. A partial one: let commits gather (GATHER_MS).
      if (worked >= this.options.concurrency) continue;
      if (worked > 0) {
        idleMs = IDLE_MIN_MS;
        await this.idle(GATHER_MS, false);
        continue;
      }
      await this.idle(this.down ? this.options.backoffBaseMs : idleMs);
      idleMs = Math.min(idleMs * 2, IDLE_MAX_MS);
    }
  }

  /** One pass over every shard; returns how many writes it settled. */
  async drainOnce(): Promise<number> {
    const { outbox, side, concurrency } = this.options;
    const now = this.clock();
    let settled = 0;
    const recover = now - this.lastRecovery >= RECOVERY_EVERY_MS;
    if (recover) this.lastRecovery = now;
    for (let shard = 0; shard < outbox.shards && !this.down; shard++) {
      const writes = await outbox.lease(side, shard, concurrency, now);
      if (recover) writes.push(...(await outbox.leaseRecoveries(side, shard, concurrency, now)));
      if (writes.length > 0) settled += await this.deliverAll(writes);
    }
    return settled;
  }

  private async deliverAll(writes: OwedWrite[]): Promise<number> {
    const { adapter, outbox, telemetry, side } = this.options;
    // One promise per write, settled to its error or undefined (no wrapper object per write).
    const errors = await Promise.all(writes.map((write) => deliver(adapter, write.record.message).then(noError, toAdapterError)));
    const delivered: OwedWrite[] = [];
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]!;
      const error = errors[i];
      if (!error) {
        this.consecutiveFailures = 0;
        if (write.kind === 'recovery') {
          await outbox.commit(write.record, receiptOf(write));
          telemetry.dualWrite(side, 'recovered');
        } else {
          delivered.push(write);
          telemetry.dualWrite(side, 'ok');
          const { origin } = write.record;
          if (origin) this.options.onBridged?.(origin, (this.clock() - write.record.message.sentAt) / 1000);
        }
        continue;
      }
      const now = this.clock();
      if (!error.retryable || write.attempt + 1 >= this.options.maxAttempts) {
        const reason = error.retryable ? `gave up after ${write.attempt + 1} tries: ${error.message}` : `refused by ${side}: ${error.message}`;
        // False: another instance took the write over meanwhile and settles it itself.
        if (!(await outbox.deadLetter(write, reason, now))) continue;
        telemetry.dualWrite(side, 'dead_letter');
        this.options.logger.error({ side, messageId: write.record.message.id, attempts: write.attempt + 1, reason }, 'outbox write dead-lettered');
        continue;
      }
      this.consecutiveFailures++;
      if (await outbox.retry(write, now + backoffDelay(write.attempt, this.options.backoffBaseMs, this.options.backoffMaxMs))) telemetry.dualWrite(side, 'retry');
    }
    await outbox.complete(delivered);
    if (this.down) this.options.logger.warn({ side, failures: this.consecutiveFailures }, 'side looks down; outbox pauses and probes its health');
    return writes.length;
  }

  private async probe(): Promise<void> {
    const health = await this.options.adapter.health();
    if (health.ok) {
      this.options.logger.info({ side: this.options.side }, 'side healthy again; outbox resumes');
      this.consecutiveFailures = 0;
    }
  }

  /** Waits `ms`; a wake() cuts the wait short unless `wakeable` is false. */
  private idle(ms: number, wakeable = true): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.wakeUp = done;
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}

function noError(): undefined {
  return undefined;
}

function receiptOf(write: OwedWrite): Receipt {
  const { record } = write;
  return { id: record.message.id, primary: record.primary, secondary: record.secondary, stateVersion: record.stateVersion, acceptedAt: record.message.sentAt };
}

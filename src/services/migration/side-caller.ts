import { setTimeout as sleep } from 'node:timers/promises';
import { AdapterError, toAdapterError } from '../../adapters/adapter-error.js';
import { backoffDelay } from '../../domain/backoff.js';
import type { MigrationTelemetry } from '../ports/migration-telemetry.js';
import { TokenBucket } from './token-bucket.js';

/** Tries of one migration call before its unit is put back for later (the old side's bad minute). */
const TRIES = 8;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 2_000;

/** A side's failure after every try, naming the side (the runner reports it per side). */
export class SideCallError extends AdapterError {
  constructor(readonly side: 'old' | 'new', error: AdapterError) {
    super(error.failure, `${side} side: ${error.message}`, error.vendorCode, { cause: error });
  }
}

/**
 * Every call the job makes to one side: within that side's rate, and tried again on a passing
 * failure (timeout, unavailable, 5xx). A refusal (4xx) is not tried again. Migration calls are
 * idempotent reads, imports by id and replacing puts, so a retry never doubles anything.
 */
export class SideCaller {
  readonly bucket: TokenBucket;

  constructor(
    readonly side: 'old' | 'new',
    perSecond: number,
    private readonly telemetry: MigrationTelemetry,
    private readonly random: () => number = Math.random,
  ) {
    this.bucket = new TokenBucket(perSecond);
  }

  /** `action` learns which try it is: a retry after an ambiguous failure may first ask what landed. */
  async call<T>(action: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.bucket.take();
      try {
        return await action(attempt);
      } catch (err) {
        const error = toAdapterError(err);
        if (!error.retryable || attempt + 1 >= TRIES) throw new SideCallError(this.side, error);
        this.telemetry.migrationError(this.side, 'retry');
        await sleep(backoffDelay(attempt, BACKOFF_BASE_MS, BACKOFF_MAX_MS, this.random));
      }
    }
  }
}

import type { ImportResult, MigrationReader, MigrationWriter } from '../../adapters/migration-side.js';
import type { Conversation, OutboundMessage } from '../../domain/message.js';
import type { Counters, Job } from '../../domain/migration/job.js';
import type { MigrationStore, UnitLease, UnitResult } from '../ports/migration-store.js';
import type { MigrationTelemetry } from '../ports/migration-telemetry.js';
import type { SideCaller } from './side-caller.js';

/** What the work on one held unit needs; built by the runner for each lease. */
export interface UnitContext {
  job: Job;
  lease: UnitLease;
  source: MigrationReader;
  target: MigrationWriter;
  old: SideCaller;
  fresh: SideCaller;
  pageSize: number;
  telemetry: MigrationTelemetry;
  /** Told of every import call into the new side and its answer (usage metering). */
  imported(conversation: Conversation, messages: readonly OutboundMessage[], result: ImportResult): void;
  /** Records progress (fenced): false when this instance no longer holds the unit. */
  checkpoint(cursor: string | null, counts: Counters): Promise<boolean>;
  /** Finishes the unit (fenced): false when this instance no longer holds it. */
  complete(result: UnitResult): Promise<boolean>;
  /** True once the job is paused, replaced or this instance stops: leave at the next page. */
  stopping(): boolean;
}

/** `stopped`: left mid-way with its checkpoint (pause, shutdown); `lost`: another instance holds it now. */
export type UnitOutcome = 'completed' | 'stopped' | 'lost';

export const NO_RESULT: UnitResult = { counts: {}, mismatches: [], verifiedUsers: [], heldUsers: [] };

/** Consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every page of one side's list from `from`, read through its caller. The next page is asked for
 * as soon as one arrives, so reading it overlaps with the work on this one: a lane waits for a
 * side half as often. A consumer that stops early leaves one read unused, nothing more.
 */
export async function* pages<T>(caller: SideCaller, read: (after: string | undefined) => Promise<{ items: T[]; next: string | null }>, from?: string): AsyncGenerator<{ items: T[]; next: string | null }> {
  let pending = prefetch(caller, read, from);
  for (;;) {
    const page = await pending;
    if (page.next !== null) pending = prefetch(caller, read, page.next);
    yield page;
    if (page.next === null) return;
  }
}

function prefetch<T>(caller: SideCaller, read: (after: string | undefined) => Promise<T>, after: string | undefined): Promise<T> {
  const reading = caller.call(() => read(after));
  // Awaited by the loop (which then sees the failure); until then a rejection is not unhandled.
  reading.catch(() => undefined);
  return reading;
}

import type { AdapterFailure } from '../../adapters/adapter-error.js';
import type { Side } from '../../domain/message.js';

export const FAILURE_CLASSES: readonly AdapterFailure[] = ['timeout', 'unavailable', 'vendor_error', 'rejected'];

/** What one side did in one hour, fleet-wide once stored. */
export interface HourUsage {
  messages: number;
  /** In the side's billing unit (domain/usage/billing.ts). */
  units: number;
  /** What sends gave the side to store: history storage written. */
  bytes: number;
  /** Sends that failed, by class (the SLA counts all but `rejected`, the caller's own). */
  failures: Record<AdapterFailure, number>;
  /** Sends that succeeded slower than the side's latency objective (sla.<side>.latency). */
  slow: number;
  /**
   * The most users seen online in one UTC minute of the hour (see `UsageBatch.online`), over the
   * fleet once stored: a maximum, never a sum.
   */
  peakConcurrentUsers: number;
  /**
   * What the migration job imported, apart from the sends above: messages, their history storage,
   * and the units of what the import published as messages where the side's import publishes.
   */
  imported: { messages: number; bytes: number; units: number };
}

/** One instance's counts of one hour (hours since the epoch, UTC), and the users it saw per side. */
export interface UsageBatch {
  hour: number;
  sides: Record<Side, HourUsage>;
  users: Record<Side, string[]>;
  /** Users seen connected to each side, per UTC minute of the hour (minutes since the epoch). */
  online: Array<{ minute: number; users: Record<Side, string[]> }>;
}

/** Usage of the whole fleet: every instance adds its counts, anyone reads the sums. */
export interface UsageStore {
  add(batches: UsageBatch[]): Promise<void>;
  /** Summed usage of hours `from`..`to` (inclusive); hours without data are absent. */
  hours(from: number, to: number): Promise<Map<number, Record<Side, HourUsage>>>;
  /** Distinct users of a side in a UTC day (`2026-12-01`) and month (`2026-12`), estimated. */
  activeUsers(side: Side, day: string, month: string): Promise<{ day: number; month: number }>;
}

export function emptyHour(): HourUsage {
  return {
    messages: 0, units: 0, bytes: 0, failures: { timeout: 0, unavailable: 0, vendor_error: 0, rejected: 0 }, slow: 0,
    peakConcurrentUsers: 0, imported: { messages: 0, bytes: 0, units: 0 },
  };
}

/** Adds `from` into `into` (the peak is the larger of the two). */
export function addHour(into: HourUsage, from: HourUsage): void {
  into.messages += from.messages;
  into.units += from.units;
  into.bytes += from.bytes;
  into.slow += from.slow;
  for (const failure of FAILURE_CLASSES) into.failures[failure] += from.failures[failure];
  into.peakConcurrentUsers = Math.max(into.peakConcurrentUsers, from.peakConcurrentUsers);
  into.imported.messages += from.imported.messages;
  into.imported.bytes += from.imported.bytes;
  into.imported.units += from.imported.units;
}

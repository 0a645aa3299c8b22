import type { AdapterFailure } from '../../adapters/adapter-error.js';
import type { Side } from '../../domain/message.js';

export const FAILURE_CLASSES: readonly AdapterFailure[] = ['timeout', 'unavailable', 'vendor_error', 'rejected'];

/** What one side did in one hour, fleet-wide once stored. */
export interface HourUsage {
  messages: number;
  /** In the side's billing unit (domain/usage/billing.ts). */
  units: number;
  /** What the side was given to store: history storage written. */
  bytes: number;
  /** Sends that failed, by class (the SLA counts all but `rejected`, the caller's own). */
  failures: Record<AdapterFailure, number>;
  /** Sends that succeeded slower than the side's latency objective (sla.<side>.latency). */
  slow: number;
}

/** One instance's counts of one hour (hours since the epoch, UTC), and the users it saw per side. */
export interface UsageBatch {
  hour: number;
  sides: Record<Side, HourUsage>;
  users: Record<Side, string[]>;
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
  return { messages: 0, units: 0, bytes: 0, failures: { timeout: 0, unavailable: 0, vendor_error: 0, rejected: 0 }, slow: 0 };
}

/** Adds `from` into `into`. */
export function addHour(into: HourUsage, from: HourUsage): void {
  into.messages += from.messages;
  into.units += from.units;
  into.bytes += from.bytes;
  into.slow += from.slow;
  for (const failure of FAILURE_CLASSES) into.failures[failure] += from.failures[failure];
}

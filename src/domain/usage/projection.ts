import { billFor, type Bill, type PriceTable } from './billing.js';

/** The calendar month (UTC) that holds `at`: billing months start at 00:00 UTC on the 1st. */
export function monthOf(at: number): { start: number; end: number } {
  const d = new Date(at);
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export interface SideUsage {
  /** Units billed so far this month. */
  monthToDate: number;
  /** Units per hour at the current rate (the recent window's average). */
  unitsPerHour: number;
  /** The month's peak of concurrent users so far. */
  peakConcurrentUsers: number;
}

export interface SideProjection {
  monthToDate: Bill;
  /**
   * Month to date plus the current rate until the month ends. Its concurrent users are the peak
   * so far: a peak is a maximum, not a sum, so it does not grow with the hours left.
   */
  monthEnd: Bill;
  overBudget: boolean;
}

/** Month-end units at the current rate: what was used, and the rate for the hours left. */
export function projectUnits(usage: Pick<SideUsage, 'monthToDate' | 'unitsPerHour'>, now: number): number {
  const { end } = monthOf(now);
  const hoursLeft = Math.max(0, end - now) / 3_600_000;
  return usage.monthToDate + usage.unitsPerHour * hoursLeft;
}

export function projectSide(price: PriceTable, usage: SideUsage, now: number): SideProjection {
  const monthEnd = billFor(price, projectUnits(usage, now), usage.peakConcurrentUsers);
  return { monthToDate: billFor(price, usage.monthToDate, usage.peakConcurrentUsers), monthEnd, overBudget: price.budget !== undefined && monthEnd.total > price.budget };
}

/**
 * The share of all traffic a side carries at a plan step: `percent` of users on new. While
 * dual-writing every message goes to both sides; without it each side carries its own cohort.
 */
export function sideShare(side: 'old' | 'new', percent: number, dualWriting: boolean): number {
  if (dualWriting) return 1;
  const onNew = Math.min(100, Math.max(0, percent)) / 100;
  return side === 'new' ? onNew : 1 - onNew;
}

/**
 * A side's month-end bill if the plan stood at `percent` for the whole month, from the fleet's
 * total traffic in that side's units (`allTrafficUnitsPerMonth`: what the side would bill if it
 * carried every message once) and the fleet's peak of concurrent users. Apps log into their
 * cohort's side only, so the side's concurrent users are its cohort's share whether or not
 * messages are dual-written (that is the servers' doing).
 */
export function billAtStep(price: PriceTable, allTrafficUnitsPerMonth: number, side: 'old' | 'new', percent: number, dualWriting: boolean, allConcurrentUsers = 0): Bill {
  return billFor(price, allTrafficUnitsPerMonth * sideShare(side, percent, dualWriting), Math.round(allConcurrentUsers * sideShare(side, percent, false)));
}

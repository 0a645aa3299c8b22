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
}

export interface SideProjection {
  monthToDate: Bill;
  /** Month to date plus the current rate until the month ends. */
  monthEnd: Bill;
  overBudget: boolean;
}

/** Month-end units at the current rate: what was used, and the rate for the hours left. */
export function projectUnits(usage: SideUsage, now: number): number {
  const { end } = monthOf(now);
  const hoursLeft = Math.max(0, end - now) / 3_600_000;
  return usage.monthToDate + usage.unitsPerHour * hoursLeft;
}

export function projectSide(price: PriceTable, usage: SideUsage, now: number): SideProjection {
  const monthEnd = billFor(price, projectUnits(usage, now));
  return { monthToDate: billFor(price, usage.monthToDate), monthEnd, overBudget: price.budget !== undefined && monthEnd.total > price.budget };
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
 * carried every message once).
 */
export function billAtStep(price: PriceTable, allTrafficUnitsPerMonth: number, side: 'old' | 'new', percent: number, dualWriting: boolean): Bill {
  return billFor(price, allTrafficUnitsPerMonth * sideShare(side, percent, dualWriting));
}

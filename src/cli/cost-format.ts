import type { UsageReport } from '../services/usage-meter.js';
import { columns } from './format.js';

const money = (value: number, currency: string): string => `${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** One line per priced side and per side with an SLA, for `cutover status`. */
export function costRows(report: UsageReport): Array<readonly [string, string]> {
  const rows: Array<readonly [string, string]> = [];
  for (const side of ['old', 'new'] as const) {
    const s = report.sides[side];
    if (s.price && s.projection) {
      const budget = s.price.budget === undefined ? '' : `, budget ${money(s.price.budget, s.price.currency)}${s.projection.overBudget ? ' (OVER)' : ''}`;
      const peak = `, peak ${count(s.peakConcurrentUsers.users)} users online`;
      rows.push([`cost ${side}`, `${money(s.projection.monthToDate.total, s.price.currency)} so far, ${money(s.projection.monthEnd.total, s.price.currency)} projected${budget}${peak}`]);
    }
    if (s.sla) {
      const measured = s.sla.availability === null ? 'no sends yet' : `${(s.sla.availability * 100).toFixed(3)} %`;
      const left = s.sla.errorBudget.leftShare === null ? '' : `, error budget ${(s.sla.errorBudget.leftShare * 100).toFixed(1)} % left`;
      rows.push([`sla ${side}`, `${measured} against ${s.sla.objective.availability} %${left}${s.sla.met ? '' : ' (NOT MET)'}`]);
    }
  }
  return rows;
}

/** `cutover cost`: the month so far per side, the month-end projection, and the plan's steps. */
export function formatCost(report: UsageReport): string {
  const lines = [`usage in ${report.month} (UTC), fleet-wide, as of ${report.at.slice(0, 16).replace('T', ' ')}`, ''];
  const rows = [['side', 'messages', 'units', 'unit', 'units/h now', 'users today', 'users month', 'peak online', 'stored']];
  for (const side of ['old', 'new'] as const) {
    const s = report.sides[side];
    rows.push([
      side, count(s.messages), count(s.units), s.price?.unit ?? 'message', count(s.unitsPerHour),
      count(s.activeUsers.today), count(s.activeUsers.month), count(s.peakConcurrentUsers.users), mib(s.bytes),
    ]);
  }
  lines.push(...columns(rows, new Set([1, 2, 4, 5, 6, 7, 8])), '');
  for (const side of ['old', 'new'] as const) {
    const { imported, peakConcurrentUsers } = report.sides[side];
    if (peakConcurrentUsers.hour !== null) lines.push(`${side}: peak online ${count(peakConcurrentUsers.users)} users in one minute, in the hour from ${peakConcurrentUsers.hour.slice(0, 16).replace('T', ' ')}`);
    if (imported.messages > 0) lines.push(`${side}: imported ${count(imported.messages)} messages, ${mib(imported.bytes)}, ${count(imported.units)} units (in the figures above)`);
  }
  for (const side of ['old', 'new'] as const) {
    const s = report.sides[side];
    if (!s.price || !s.projection) {
      lines.push(`${side}: no price table (billing.${side} in config): metered, not priced`);
      continue;
    }
    const { currency, budget } = s.price;
    const p = s.projection;
    lines.push(`${side}: month to date ${money(p.monthToDate.total, currency)}; month end at the current rate ${money(p.monthEnd.total, currency)}${budget === undefined ? '' : ` (budget ${money(budget, currency)}${p.overBudget ? ': OVER' : ''})`}`);
    if (s.price.overagePerConcurrentUser !== undefined) {
      lines.push(`  concurrent users: peak ${count(p.monthEnd.peakConcurrentUsers)}, ${count(p.monthEnd.overageConcurrentUsers)} over the ${count(s.price.includedConcurrentUsers ?? 0)} included: ${money(p.monthEnd.concurrentUsersOverage, currency)}`);
    }
    const stepRows = [['  at', 'dual-writing', 'month-end bill']];
    for (const step of p.steps) stepRows.push([`  ${step.percent} % on new`, step.dualWriting ? 'on' : 'off', money(step.bill.total, currency)]);
    lines.push(...columns(stepRows, new Set([2])));
  }
  lines.push('', 'The projection extrapolates the last 6 hours linearly and keeps the peak so far; how it is computed and its known error: docs/cost.md');
  return `${lines.join('\n')}\n`;
}

import type { UsageReport } from '../services/usage-meter.js';
import { columns } from './format.js';

const percent = (share: number | null, digits = 3): string => (share === null ? '—' : `${(share * 100).toFixed(digits)} %`);
const hourOf = (hour: number): string => new Date(hour * 3_600_000).toISOString().slice(0, 13).replace('T', ' ') + ':00';

/** `cutover sla`: each side's month against its SLA, the error budget left, and what a credit claim needs. */
export function formatSla(report: UsageReport): string {
  const lines = [`SLA in ${report.month} (UTC), measured from Cutover's own sends, fleet-wide`, ''];
  const rows = [['side', 'objective', 'measured', 'met', 'budget left', 'downtime', 'latency ≤ objective']];
  for (const side of ['old', 'new'] as const) {
    const sla = report.sides[side].sla;
    if (!sla) {
      rows.push([side, 'none (sla.' + side + ')', '—', '—', '—', '—', '—']);
      continue;
    }
    const { objective } = sla;
    rows.push([
      side, `${objective.availability} %`, percent(sla.availability), sla.met ? 'yes' : 'NO',
      sla.errorBudget.leftShare === null ? '—' : `${(sla.errorBudget.leftShare * 100).toFixed(1)} % (${Math.round(sla.errorBudget.left)} sends)`,
      `${sla.downtimeMinutes.toFixed(1)} min`,
      `${percent(sla.latency.withinShare, 2)} within ${objective.latencyMs} ms (objective ${objective.latencyPercent} %)${sla.latency.met ? '' : ' NO'}`,
    ]);
  }
  lines.push(...columns(rows));
  for (const side of ['old', 'new'] as const) {
    const sla = report.sides[side].sla;
    if (!sla || sla.sends === 0) continue;
    const f = sla.failedByClass;
    lines.push('', `${side}: ${sla.sends} sends, ${sla.failed} failed (timeout ${f.timeout}, unavailable ${f.unavailable}, vendor error ${f.vendor_error}); refused as the caller's (4xx, not counted) ${f.rejected}`);
    if (sla.worstHours.length > 0) {
      lines.push('  worst hours:');
      lines.push(...columns(sla.worstHours.map((h) => [`    ${hourOf(h.hour)}`, `${h.failed} of ${h.sends} failed`, percent(h.failedShare, 2)])));
    }
  }
  lines.push('', 'Downtime counts each hour\'s failed share of its sends in minutes; how it is measured: docs/cost.md');
  return `${lines.join('\n')}\n`;
}

import type { MigrationPlan, MigrationReport, MigrationStatus } from './admin-client.js';
import { columns, formatTime, humanDuration, table } from './format.js';

const BAR_WIDTH = 30;

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `[#########.....................]  31.2 %  12,345 / 39,500 items  2,104 items/s  ETA 13s` */
export function progressLine(status: MigrationStatus): string {
  const ratio = status.expected > 0 ? Math.min(1, status.done / status.expected) : status.job.status === 'done' ? 1 : 0;
  const filled = Math.round(ratio * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const eta = status.job.status === 'done' ? 'done' : status.job.status === 'paused' ? 'paused' : status.etaSeconds === null ? 'ETA …' : `ETA ${humanDuration(status.etaSeconds * 1000)}`;
  const found = status.job.mode === 'verify' ? `  ${count(status.counters.mismatches ?? 0)} mismatches` : '';
  return `${bar} ${(ratio * 100).toFixed(1).padStart(5)} %  ${count(status.done)} / ${count(status.expected)} items  ${count(status.itemsPerSecond)} items/s  ${eta}${found}`;
}

export function formatMigrationStatus(status: MigrationStatus): string {
  const { job, counters: c } = status;
  const rows: Array<[string, string]> = [
    ['job', `${job.id} (${job.mode}${job.redrive ? ', re-driving what differs' : ''}), ${job.status}`],
    ['started', `${formatTime(job.startedAt)} by ${job.startedBy}: ${job.reason}`],
  ];
  if (job.finishedAt !== null) rows.push(['finished', `${formatTime(job.finishedAt)} after ${humanDuration(job.finishedAt - job.startedAt)}`]);
  rows.push(['progress', progressLine(status)]);
  rows.push(['users', `${count(c['done.user'] ?? 0)} of ${count(c['listed.user'] ?? 0)} listed${c['missing.user'] ? ` (${count(c['missing.user'])} gone from old)` : ''}`]);
  rows.push(['groups', `${count(c['done.group'] ?? 0)} of ${count(c['listed.group'] ?? 0)} listed, members ${count((job.mode === 'copy' ? c['members.written'] : c['members.verified']) ?? 0)}`]);
  const messages = job.mode === 'copy'
    ? `${count(c['messages.created'] ?? 0)} copied, ${count(c['messages.existing'] ?? 0)} already on new`
    : `${count(c['messages.verified'] ?? 0)} verified`;
  rows.push(['conversations', `${count(c['done.conversation'] ?? 0)} of ${count(c['listed.conversation'] ?? 0)} listed; messages ${messages}`]);
  if (job.mode === 'verify') rows.push(['mismatches', `${count(c.mismatches ?? 0)} found, ${count(c.fixed ?? 0)} fixed${c.mismatches ? ' (cutover migrate report lists them)' : ''}`]);
  rows.push(['units', `${count(status.units.open)} open, ${count(status.units.leased)} held by an instance${c.takenOver ? `; ${count(c.takenOver)} taken over from a stopped instance` : ''}`]);
  rows.push(['verified users', `${count(status.verifiedUsers)} (the gate lets them into the new cohort)`]);
  const rate = (r: number) => (r > 0 ? `${Number(r.toFixed(1))} calls/s` : 'no limit');
  rows.push(['this instance', `${status.instance.id}: old ${rate(status.instance.rates.old)}, new ${rate(status.instance.rates.new)}`]);
  return `${table(rows)}\n`;
}

export function formatMigrationPlan(plan: MigrationPlan): string {
  const t = plan.totals;
  const e = plan.estimate;
  const limit = (r: number | null | undefined) => (r ? `${Number(r.toFixed(1))} calls/s` : 'none known');
  const bound = e.limitBoundSeconds === null
    ? 'no rate limit is known on either side: the time is what the sides answer at (see the job\'s items/s once started)'
    : `at least ${humanDuration(e.limitBoundSeconds * 1000)} at the limits (bound by the ${e.boundBy} side), per instance working on it`;
  return `${table([
    ['from', `${plan.source} (old)`],
    ['to', `${plan.target} (new)`],
    ['users', count(t.users)],
    ['groups', `${count(t.groups)} with ${count(t.members)} members`],
    ['conversations', `${count(t.conversations)} with ${count(t.messages)} messages`],
    ['old side', `${count(e.oldReadCalls)} read calls; limit ${limit(plan.rates.oldReadsPerSecond)}`],
    ['new side', `${count(e.newWriteCalls)} write calls, ${plan.targetLimits.messagesPerCall} messages a call; limit ${limit(plan.rates.newWritesPerSecond ?? plan.targetLimits.writeCallsPerSecond)}${plan.targetLimits.writeCallsPerSecond ? ` (${plan.targetLimits.writeCallsPerSecond} per instance)` : ''}`],
    ['time', bound],
    ['gate', plan.requireVerified ? `on: only verified users enter new (${count(plan.verifiedUsers)} so far)` : `off (${count(plan.verifiedUsers)} users verified)`],
  ])}\n`;
}

export function formatMigrationReport(report: MigrationReport, offset: number): string {
  const kinds = Object.entries(report.byKind).map(([kind, n]) => `${kind} ${count(n)}`).join(', ');
  const head = `${report.job.id} (${report.job.mode}, ${report.job.status}): ${count(report.total)} mismatches, ${count(report.fixed)} fixed${kinds ? ` — ${kinds}` : ''}\n`;
  if (report.mismatches.length === 0) return `${head}${report.total === 0 ? 'every unit compared equal on both sides\n' : ''}`;
  const rows = [['#', 'kind', 'where', 'item', 'fixed', 'old', 'new']];
  report.mismatches.forEach((m, i) => rows.push([
    String(offset + i + 1), m.kind, m.where, m.item ?? '-', m.fixed ? 'yes' : 'no', brief(m.old), brief(m.new),
  ]));
  return `${head}${columns(rows).join('\n')}\n`;
}

function brief(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

import type { AuditPage, ChangeReply, OutboxCounts, OutboxStatus, RolloutState, RolloutStatus, RouteInfo } from './admin-client.js';

/** What each stage means for users and writes, as `cutover status` shows it. */
const STAGE_MEANING: Record<RolloutState['stage'], string> = {
  off: 'old only',
  shadow: 'old is primary, new gets every write',
  canary: 'the cohort is on new, old gets every write',
  complete: 'new only',
};

const UNITS: ReadonlyArray<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];

/** `0.4s`, `45s`, `12m`, `12m 30s`, `3h 5m`, `2d 4h`: the two largest units, rounded down. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  if (ms < 1_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const parts: string[] = [];
  let rest = Math.floor(ms);
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !/^0\D/.test(part)).join(' ');
}

export function formatPercent(percent: number): string {
  return `${Number(percent.toFixed(2))} %`;
}

/** UTC, to the second: the same line reads the same on every on-call's laptop. */
export function formatTime(at: string | number): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function ago(at: string, now: number): string {
  return `${humanDuration(now - Date.parse(at))} ago`;
}

/** `canary 5 %`, `shadow 0 %`, `complete`; with `, rolled back` when everyone is on old. */
export function stateSummary(state: Pick<RolloutState, 'stage' | 'percent' | 'rollback'>): string {
  const where = state.stage === 'complete' ? 'complete' : `${state.stage} ${formatPercent(state.percent)}`;
  return state.rollback ? `${where}, rolled back` : where;
}

/** Label/value rows with the values in one column. */
export function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => (label ? `${label.padEnd(width)}  ${value}` : value)).join('\n');
}

/** Columns padded to their widest cell; the last column is not padded. */
export function columns(rows: string[][], alignRight: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => {
    if (i === row.length - 1 && !alignRight.has(i)) return cell;
    return alignRight.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
  }).join('  ').trimEnd());
}

/** Where the rollout stands in its plan, and what the next move is. */
export function planLine(status: RolloutStatus): string {
  const { state, position, plan } = status;
  if (state.rollback) return `held at ${formatPercent(state.percent)} while rolled back; nothing steps until cutover resume`;
  if (state.stage === 'complete') return 'done: everyone is on new';
  const first = plan.steps[0];
  if (state.stage !== 'canary') {
    const next = state.stage === 'off' ? 'shadow' : 'canary';
    return `steps apply in canary; next: cutover stage ${next}${first ? `, then cutover step to ${formatPercent(first.percent)}` : ''}`;
  }
  if (position.current === null) {
    return position.next === null ? 'no plan steps' : `before the first step; next ${formatPercent(position.next)} (cutover step)`;
  }
  const bake = plan.steps[position.index]?.bake ?? '?';
  const at = state.percent === position.current
    ? `step ${formatPercent(position.current)}`
    : `at ${formatPercent(state.percent)} (plan step ${formatPercent(position.current)})`;
  if (position.next === null) return `${at}, the last step; next: cutover stage complete`;
  if (position.bakeRemainingMs > 0) {
    return `${at} baking ${humanDuration(position.bakedMs)} of ${bake}, next ${formatPercent(position.next)}`;
  }
  const promote = plan.autoPromote ? 'auto-promotes when the guard says healthy' : 'cutover step';
  return `${at} baked ${bake}, next ${formatPercent(position.next)}: ready (${promote})`;
}

function planSteps(status: RolloutStatus): string {
  const steps = status.plan.steps.map((step, i) => {
    const text = `${formatPercent(step.percent)} ${step.bake}`;
    return i === status.position.index && status.state.stage === 'canary' ? `[${text}]` : text;
  });
  return `${steps.join(' → ')}  (auto-promote ${status.plan.autoPromote ? 'on' : 'off'})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any value on one line, for the parts of the guard's report this CLI does not know. */
function plainText(value: unknown): string {
  if (!isRecord(value)) return String(value);
  return Object.entries(value).map(([key, item]) => `${key} ${item !== null && typeof item === 'object' ? JSON.stringify(item) : String(item)}`).join(', ');
}

function sideTraffic(figures: unknown): string | undefined {
  if (!isRecord(figures) || typeof figures.requests !== 'number' || typeof figures.errorRate !== 'number') return undefined;
  const p99 = typeof figures.p99Ms === 'number' ? `${Math.round(figures.p99Ms)}ms` : '-';
  return `${figures.requests} requests, ${(figures.errorRate * 100).toFixed(2)} % errors, p99 ${p99}`;
}

/**
 * The guard's rows: its verdict and reason, and the traffic it judged. The report is this
 * gateway's last one and its shape is the guard's: what is not recognized is shown as it comes.
 */
export function guardRows(guard: unknown): Array<readonly [string, string]> {
  if (!isRecord(guard)) return [['guard', String(guard)]];
  if (guard.enabled === false) return [['guard', 'off: nothing rolls back by itself (config guard.enabled)']];
  const { report } = guard;
  if (guard.enabled === true && report === null) return [['guard', 'on, no verdict yet']];
  if (!isRecord(report) || typeof report.verdict !== 'string') return [['guard', plainText(guard)]];
  const rows: Array<readonly [string, string]> = [['guard', `${report.verdict}${typeof report.reason === 'string' ? `: ${report.reason}` : ''}`]];
  const [fresh, old] = [sideTraffic(report.new), sideTraffic(report.old)];
  if (fresh && old) rows.push(['traffic', `new ${fresh}; old ${old}`]);
  return rows;
}

/** `cutover status`: a rollback banner when rolled back, then one row per fact. */
export function formatStatus(status: RolloutStatus, context: { now: number; url: string; extraRows?: ReadonlyArray<readonly [string, string]> }): string {
  const { state } = status;
  const lines: string[] = [];
  if (state.rollback) {
    const { rollback } = state;
    lines.push('*** ROLLED BACK: everyone is on old; dual-writes go on ***');
    lines.push(table([
      ['trigger', `${rollback.trigger}, by ${rollback.actor} at ${formatTime(rollback.at)} (${ago(rollback.at, context.now)})`],
      ['reason', JSON.stringify(rollback.reason)],
      ['resume to', `${rollback.resumeTo.stage} ${formatPercent(rollback.resumeTo.percent)}  (cutover resume --reason "...")`],
    ]));
    lines.push('');
  }
  const rows: Array<readonly [string, string]> = [
    ['migration', `${state.migration}  (${context.url})`],
    ['stage', `${state.stage}: ${STAGE_MEANING[state.stage]}${state.rollback ? ' (overridden by the rollback)' : ''}`],
    ['percent', `${formatPercent(state.percent)} of eligible users${state.stage === 'canary' && !state.rollback ? ' on new' : ''}`],
    ['plan', planLine(status)],
    ['steps', planSteps(status)],
  ];
  if (status.cohort) {
    const { old, new: fresh } = status.cohort.acceptedByPrimary;
    const total = old + fresh;
    const split = total > 0 ? `; messages accepted here by primary: old ${old}, new ${fresh} (${((fresh / total) * 100).toFixed(1)} % new)` : '';
    rows.push(['cohort', `new for ${formatPercent(status.cohort.newShareOfEligible * 100)} of eligible users${split}`]);
  }
  if (status.guard !== undefined) rows.push(...guardRows(status.guard));
  rows.push(['state', `version ${state.version}, changed ${ago(state.updatedAt, context.now)} by ${state.updatedBy} (${formatTime(state.updatedAt)})${status.instanceId ? `, as seen by ${status.instanceId}` : ''}`]);
  rows.push(['synced', `${humanDuration(status.stateAgeMs)} ago${status.stateAgeMs > 5_000 ? '  STALE: this gateway cannot reach Redis; it routes by the last state it saw' : ''}`]);
  rows.push(...(context.extraRows ?? []));
  lines.push(table(rows));
  return `${lines.join('\n')}\n`;
}

/** What a change command did: the new state, or the API's note on why nothing changed. */
export function formatChange(reply: ChangeReply): string {
  if (!reply.changed) return `no change: ${reply.note ?? 'the state already was so'}  (version ${reply.state.version})\n`;
  return `changed: now ${stateSummary(reply.state)}  (version ${reply.state.version})\n`;
}

/** What break glass did; `where` is the Redis URL without its password. */
export function formatBreakGlassRollback(reply: ChangeReply, where: string): string {
  if (!reply.changed) return formatChange(reply);
  return [
    `rolled back through Redis (break glass): now ${stateSummary(reply.state)}  (migration ${reply.state.migration}, version ${reply.state.version})`,
    `  written to ${where}, audited as ${reply.state.rollback?.actor ?? '?'} (break-glass)`,
    '  running gateways follow within 1 s; check with: cutover status',
    ...(reply.note ? [`  note: ${reply.note}`] : []),
    '',
  ].join('\n');
}

function auditSummary(before: RolloutState | null, after: RolloutState): string {
  if (!before) return `created ${stateSummary(after)}`;
  if (!before.rollback && after.rollback) return `${stateSummary(before)} → rolled back (${after.rollback.trigger})`;
  if (before.rollback && !after.rollback) return `rolled back → ${stateSummary(after)}`;
  return `${stateSummary(before)} → ${stateSummary(after)}`;
}

/** `cutover history`: one line per audited change, newest first. */
export function formatAudit(page: AuditPage): string {
  if (page.entries.length === 0) return 'no audit entries\n';
  const rows = page.entries.map((entry) => [
    formatTime(entry.at),
    `v${entry.after.version}`,
    `${entry.actor}(${entry.role})`,
    entry.action,
    auditSummary(entry.before, entry.after),
    entry.reason ? JSON.stringify(entry.reason) : '',
  ]);
  const more = page.next ? `\nmore: cutover history --before ${page.next}` : '';
  return `${columns(rows).join('\n')}${more}\n`;
}

/** One line of what the outbox owes: for `watch`. */
export function formatOutboxLine(counts: OutboxCounts): string {
  const pair = (of: { old: number; new: number }) => `old ${of.old}, new ${of.new}`;
  return `owed ${pair(counts.owed)}; retrying ${pair(counts.retrying)}; dead-lettered ${pair(counts.deadLettered)}; unconfirmed ${counts.unconfirmed}`;
}

function deadLetterMessageId(record: unknown): string {
  if (typeof record !== 'object' || record === null) return '?';
  const message = (record as { message?: unknown }).message;
  const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : '?';
}

/** `cutover outbox`: counts per side, then the newest dead letters. */
export function formatOutbox(status: OutboxStatus): string {
  const { counts } = status;
  const rows = [['side', 'owed', 'retrying', 'dead-lettered']];
  for (const side of ['old', 'new'] as const) {
    rows.push([side, String(counts.owed[side]), String(counts.retrying[side]), String(counts.deadLettered[side])]);
  }
  const lines = columns(rows, new Set([1, 2, 3]));
  lines.push(`unconfirmed primaries: ${counts.unconfirmed} (begun, not yet confirmed by their side)`);
  if (counts.waitingCommits > 0) lines.push(`commits this gateway holds until Redis takes them: ${counts.waitingCommits}`);
  const letters = [...status.deadLetters.old, ...status.deadLetters.new].sort((a, b) => b.at - a.at);
  if (letters.length > 0) {
    lines.push('', 'dead letters, newest first:');
    const letterRows = letters.map((letter) => [
      letter.side, letter.kind, formatTime(letter.at), `${letter.attempts} tries`, deadLetterMessageId(letter.record), oneLine(letter.reason),
    ]);
    lines.push(...columns(letterRows).map((line) => `  ${line}`));
  } else if (counts.deadLettered.old + counts.deadLettered.new > 0) {
    lines.push('', 'list the dead letters with --dead-letters N');
  }
  return `${lines.join('\n')}\n`;
}

/** `cutover route`: the side a user's app logs into, and why. */
export function formatRoute(route: RouteInfo): string {
  const rollout = `${stateSummary({ stage: route.stage, percent: route.percent, rollback: null })}${route.rolledBack ? ', ROLLED BACK (everyone on old)' : ''}`;
  return `${route.userId} → ${route.cohort}  (primary ${route.primary}, secondary ${route.secondary ?? 'none'})\n${table([
    ['bucket', `${route.bucket} of 10000: in the canary cohort once the percent reaches ${formatPercent(route.bucket / 100)}`],
    ['eligible', route.eligible ? 'yes' : 'no (the flag keeps this user on old until complete)'],
    ['rollout', `${rollout}, state version ${route.version}`],
  ])}\n`;
}

/** The two lines every failure prints on stderr. */
export function formatCliError(error: { code: string; message: string; hint: string }): string {
  return `cutover: ${error.code}: ${oneLine(error.message)}\n  next: ${oneLine(error.hint)}\n`;
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

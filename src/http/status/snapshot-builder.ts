import type { Registry } from 'prom-client';
import type { GuardReport } from '../../domain/guard/verdict.js';
import { SIDES, type Side } from '../../domain/message.js';
import { planPosition, positionSummary, type Plan } from '../../domain/plan.js';
import { isDualWriting, type RolloutState } from '../../domain/rollout-state.js';
import type { AuditEntry } from '../../services/ports/state-store.js';
import { bucketDelta, histogramQuantile, type Bucket } from './histogram-quantile.js';
import type { AuditRow, GuardStatus, MigrationJobStatus, SideStatus, StateStatus, StatusSnapshot } from './snapshot-schema.js';

/** The metric names the page reads: the same series `/metrics` serves (see infra/metrics.ts). */
export const STATUS_METRICS = {
  requests: 'cutover_adapter_requests_total',
  latency: 'cutover_adapter_latency_seconds',
  messages: 'cutover_messages_total',
  dualWrites: 'cutover_dual_write_total',
  owed: 'cutover_outbox_owed',
  retrying: 'cutover_outbox_retrying',
  deadLetters: 'cutover_outbox_dead_letters',
  unconfirmed: 'cutover_outbox_unconfirmed',
  rollbacks: 'cutover_rollbacks_total',
  migrationJob: 'cutover_migration_job_status',
  migrationItems: 'cutover_migration_progress_items',
  migrationUnits: 'cutover_migration_open_units',
  migrationEta: 'cutover_migration_eta_seconds',
  migrationMismatches: 'cutover_migration_job_mismatches',
  migrationVerified: 'cutover_migration_verified_users',
  migrationErrors: 'cutover_migration_errors_total',
  bridged: 'cutover_bridge_messages_total',
  bridgeLag: 'cutover_bridge_lag_seconds',
  bridgeRejected: 'cutover_bridge_rejected_total',
  usageUnits: 'cutover_usage_units',
  usagePeak: 'cutover_usage_peak_concurrent_users',
  costProjected: 'cutover_cost_projected',
  costMonthToDate: 'cutover_cost_month_to_date',
  costBudget: 'cutover_cost_budget',
  slaObjective: 'cutover_sla_objective_ratio',
  slaAvailability: 'cutover_sla_availability_ratio',
  slaBudgetLeft: 'cutover_sla_error_budget_remaining_ratio',
} as const;

const OUTCOMES = ['ok', 'timeout', 'unavailable', 'vendor_error', 'rejected'] as const;
const AUDIT_ROWS = 10;
/** Rates compare with the newest sample at least this old: smooth, yet a change shows within seconds. */
const RATE_WINDOW_MS = 5_000;
/** Older samples are useless (a page opened after a quiet hour should not show an hour's average). */
const SAMPLE_MAX_AGE_MS = 60_000;
/** Viewers polling together share one build: the page costs the gateway the same for 1 or 50 tabs. */
const CACHE_MS = 250;
const AUDIT_TIMEOUT_MS = 750;

export interface SnapshotSources {
  registry: Registry;
  migration: string;
  plan: Plan;
  adapters: Record<Side, string>;
  /** The state this instance routes by, or undefined before it is loaded. */
  state(): RolloutState | undefined;
  stateAgeMs(): number;
  guard: { enabled: boolean; report(): GuardReport | null };
  audit(limit: number): Promise<AuditEntry[]>;
  clock?: () => number;
}

/** The counters a rate is computed from, at one moment. */
interface Sample {
  at: number;
  sends: Record<Side, { total: number; errors: number; accepted: number; latency: Bucket[] }>;
  /** The migration job's done items, with its id: a rate across two jobs means nothing. */
  migration: { id: string; done: number } | null;
}

type Labels = Partial<Record<string, string | number>>;
interface Series {
  value: number;
  labels: Labels;
  metricName?: string;
}

/**
 * Builds the status snapshot from the metrics registry `/metrics` serves, the state view, the
 * guard's last report and the audit log. Nothing here runs on the send path: it reads counters
 * only when a page asks, and keeps a minute of samples in memory to turn counters into rates.
 */
export class StatusSnapshotBuilder {
  private readonly clock: () => number;
  private samples: Sample[] = [];
  private cached: { at: number; snapshot: Promise<StatusSnapshot> } | undefined;
  private lastAudit: AuditRow[] = [];

  constructor(private readonly sources: SnapshotSources) {
    this.clock = sources.clock ?? Date.now;
  }

  snapshot(): Promise<StatusSnapshot> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.snapshot;
    const snapshot = this.build(now);
    this.cached = { at: now, snapshot };
    // A failed build must not be served from the cache.
    snapshot.catch(() => { if (this.cached?.snapshot === snapshot) this.cached = undefined; });
    return snapshot;
  }

  private async build(now: number): Promise<StatusSnapshot> {
    const [metrics, audit] = await Promise.all([this.readMetrics(), this.readAudit()]);
    const sample = this.takeSample(now, metrics);
    const baseline = this.baseline(now);
    this.samples.push(sample);
    const windowMs = baseline ? now - baseline.at : null;

    const sides = Object.fromEntries(SIDES.map((side) => [side, this.sideStatus(side, metrics, sample, baseline, windowMs)])) as Record<Side, SideStatus>;
    const state = this.sources.state();
    return {
      generatedAt: new Date(now).toISOString(),
      migration: this.sources.migration,
      rateWindowMs: windowMs,
      sides,
      outboxUnconfirmed: sum(metrics.get(STATUS_METRICS.unconfirmed), {}),
      state: state ? this.stateStatus(state, now) : null,
      guard: this.guardStatus(metrics),
      migrationJob: this.migrationStatus(metrics, sample, baseline, windowMs),
      audit: audit.rows,
      auditError: audit.error,
    };
  }

  /** One `.get()` per metric the page needs: cheaper than serializing the whole registry. */
  private async readMetrics(): Promise<Map<string, Series[]>> {
    const names = Object.values(STATUS_METRICS);
    const read = await Promise.all(names.map(async (name): Promise<[string, Series[]]> => {
      const metric = this.sources.registry.getSingleMetric(name);
      if (!metric) return [name, []];
      const { values } = await metric.get();
      return [name, values];
    }));
    return new Map(read);
  }

  private async readAudit(): Promise<{ rows: AuditRow[]; error: string | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const entries = await Promise.race([
        this.sources.audit(AUDIT_ROWS),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${AUDIT_TIMEOUT_MS} ms`)), AUDIT_TIMEOUT_MS); }),
      ]);
      this.lastAudit = entries.map(auditRow);
      return { rows: this.lastAudit, error: null };
    } catch (err) {
      return { rows: this.lastAudit, error: `audit log unreadable (${(err as Error).message}); showing the last rows read` };
    } finally {
      clearTimeout(timer);
    }
  }

  private takeSample(now: number, metrics: Map<string, Series[]>): Sample {
    const sends = Object.fromEntries(SIDES.map((side) => {
      const requests = metrics.get(STATUS_METRICS.requests) ?? [];
      const total = sum(requests, { side, op: 'send' });
      const errors = total - sum(requests, { side, op: 'send', outcome: 'ok' });
      const accepted = sum(metrics.get(STATUS_METRICS.messages), { primary: side, result: 'accepted' });
      return [side, { total, errors, accepted, latency: buckets(metrics.get(STATUS_METRICS.latency) ?? [], { side, op: 'send' }) }];
    })) as Sample['sends'];
    const job = currentJob(metrics);
    return { at: now, sends, migration: job ? { id: job.id, done: sum(metrics.get(STATUS_METRICS.migrationItems), { of: 'done' }) } : null };
  }

  /** The newest sample at least RATE_WINDOW_MS old, else the oldest one; drops what is older. */
  private baseline(now: number): Sample | undefined {
    this.samples = this.samples.filter((s) => now - s.at <= SAMPLE_MAX_AGE_MS && s.at < now);
    let index = -1;
    for (let i = 0; i < this.samples.length; i++) if (now - this.samples[i]!.at >= RATE_WINDOW_MS) index = i;
    if (index > 0) this.samples = this.samples.slice(index);
    return this.samples[0];
  }

  private sideStatus(side: Side, metrics: Map<string, Series[]>, sample: Sample, baseline: Sample | undefined, windowMs: number | null): SideStatus {
    const requests = metrics.get(STATUS_METRICS.requests) ?? [];
    const dual = metrics.get(STATUS_METRICS.dualWrites);
    const messages = metrics.get(STATUS_METRICS.messages);
    const now = sample.sends[side];
    const then = baseline?.sends[side];
    const perSecond = (current: number, before: number | undefined) =>
      windowMs && before !== undefined ? Math.max(0, current - before) / (windowMs / 1000) : null;
    const windowSends = then ? now.total - then.total : 0;
    const byOutcome = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, sum(requests, { side, op: 'send', outcome })])) as SideStatus['sends']['byOutcome'];
    return {
      adapter: this.sources.adapters[side],
      sends: { total: now.total, errors: now.errors, byOutcome },
      sendsPerSecond: perSecond(now.total, then?.total),
      errorsPerSecond: perSecond(now.errors, then?.errors),
      errorRatio: then && windowSends > 0 ? Math.max(0, now.errors - then.errors) / windowSends : null,
      latency: {
        window: latency(then ? bucketDelta(now.latency, then.latency) : []),
        sinceStart: latency(now.latency),
      },
      messages: {
        accepted: now.accepted,
        duplicate: sum(messages, { primary: side, result: 'duplicate' }),
        rejected: sum(messages, { primary: side, result: 'rejected' }),
        failed: sum(messages, { primary: side, result: 'failed' }),
        acceptedPerSecond: perSecond(now.accepted, then?.accepted),
      },
      dualWrite: {
        ok: sum(dual, { side, result: 'ok' }),
        retry: sum(dual, { side, result: 'retry' }),
        deadLetter: sum(dual, { side, result: 'dead_letter' }),
        recovered: sum(dual, { side, result: 'recovered' }),
      },
      outbox: {
        owed: sum(metrics.get(STATUS_METRICS.owed), { side }),
        retrying: sum(metrics.get(STATUS_METRICS.retrying), { side }),
        deadLetters: sum(metrics.get(STATUS_METRICS.deadLetters), { side }),
      },
      bridge: {
        bridged: sum(metrics.get(STATUS_METRICS.bridged), { from: side, result: 'bridged' }),
        duplicates: sum(metrics.get(STATUS_METRICS.bridged), { from: side, result: 'duplicate' }),
        rejected: sum(metrics.get(STATUS_METRICS.bridgeRejected), { side }),
        lag: latency(buckets(metrics.get(STATUS_METRICS.bridgeLag) ?? [], { from: side })),
      },
      usage: this.usageStatus(side, metrics),
      cost: this.costStatus(side, metrics),
      sla: this.slaStatus(side, metrics),
    };
  }

  private usageStatus(side: Side, metrics: Map<string, Series[]>): SideStatus['usage'] {
    const units = sideSeries(metrics, 'usageUnits', side);
    if (!units) return null;
    return { unit: String(units.labels.unit ?? ''), units: units.value, peakConcurrentUsers: sideSeries(metrics, 'usagePeak', side)?.value ?? 0 };
  }

  private costStatus(side: Side, metrics: Map<string, Series[]>): SideStatus['cost'] {
    const projected = sideSeries(metrics, 'costProjected', side);
    if (!projected) return null;
    return {
      currency: String(projected.labels.currency ?? ''), projected: projected.value,
      monthToDate: sideSeries(metrics, 'costMonthToDate', side)?.value ?? 0, budget: sideSeries(metrics, 'costBudget', side)?.value ?? null,
    };
  }

  private slaStatus(side: Side, metrics: Map<string, Series[]>): SideStatus['sla'] {
    const objective = sideSeries(metrics, 'slaObjective', side)?.value;
    if (objective === undefined) return null;
    return { objective, availability: sideSeries(metrics, 'slaAvailability', side)?.value ?? 1, budgetLeft: sideSeries(metrics, 'slaBudgetLeft', side)?.value ?? 1 };
  }

  private stateStatus(state: RolloutState, now: number): StateStatus {
    const { plan } = this.sources;
    const position = planPosition(plan, state, now);
    return {
      stage: state.stage,
      percent: state.percent,
      version: state.version,
      since: state.since,
      updatedAt: state.updatedAt,
      updatedBy: state.updatedBy,
      stateAgeMs: Math.max(0, this.sources.stateAgeMs()),
      dualWriting: isDualWriting(state),
      rollback: state.rollback
        ? { trigger: state.rollback.trigger, actor: state.rollback.actor, reason: state.rollback.reason, at: state.rollback.at, resumeTo: { ...state.rollback.resumeTo } }
        : null,
      plan: {
        steps: plan.steps.map((s) => ({ percent: s.percent, bakeMs: s.bakeMs })),
        autoPromote: plan.autoPromote,
        ...positionSummary(position),
      },
    };
  }

  /** Fleet-wide gauges every instance reports alike, except the errors: this instance's counters. */
  private migrationStatus(metrics: Map<string, Series[]>, sample: Sample, baseline: Sample | undefined, windowMs: number | null): MigrationJobStatus | null {
    const job = currentJob(metrics);
    if (!job || !sample.migration) return null;
    const gauge = (name: keyof typeof STATUS_METRICS, match: Labels = {}) => sum(metrics.get(STATUS_METRICS[name]), match);
    const done = sample.migration.done;
    const expected = gauge('migrationItems', { of: 'expected' });
    const then = baseline?.migration;
    const eta = gauge('migrationEta');
    const errors = (side: Side) => ({
      retries: gauge('migrationErrors', { side, what: 'retry' }),
      unitsPutBack: gauge('migrationErrors', { side, what: 'unit_failed' }),
    });
    return {
      ...job,
      done,
      expected,
      progress: expected > 0 ? Math.min(1, done / expected) : null,
      itemsPerSecond: windowMs && then?.id === job.id ? Math.max(0, done - then.done) / (windowMs / 1000) : null,
      etaSeconds: eta >= 0 ? eta : null,
      units: { open: gauge('migrationUnits', { state: 'open' }), leased: gauge('migrationUnits', { state: 'leased' }) },
      mismatches: { found: gauge('migrationMismatches', { state: 'found' }), fixed: gauge('migrationMismatches', { state: 'fixed' }) },
      verifiedUsers: gauge('migrationVerified'),
      errors: { old: errors('old'), new: errors('new') },
    };
  }

  private guardStatus(metrics: Map<string, Series[]>): GuardStatus {
    const rollbacks = metrics.get(STATUS_METRICS.rollbacks);
    const counts = { manual: sum(rollbacks, { trigger: 'manual' }), auto: sum(rollbacks, { trigger: 'auto' }) };
    const report = this.sources.guard.enabled ? this.sources.guard.report() : null;
    if (!report) return { enabled: this.sources.guard.enabled, report: null, rollbacks: counts };
    const figures = (f: GuardReport['old']) => ({ requests: f.requests, errorRate: f.errorRate, p99Ms: finite(f.p99Ms) });
    return {
      enabled: true,
      report: {
        verdict: report.verdict,
        reason: report.reason,
        rule: report.rule ?? null,
        second: report.second,
        old: figures(report.old),
        new: figures(report.new),
        sequential: {
          logLikelihoodRatio: finite(report.sequential.logLikelihoodRatio) ?? 0,
          threshold: finite(report.sequential.threshold) ?? 0,
          testStart: report.sequential.testStart,
          newRequests: report.sequential.newRequests,
          oldRequests: report.sequential.oldRequests,
        },
        checks: report.checks.map((c) => ({ rule: c.rule, status: c.status, value: finite(c.value), limit: finite(c.limit), consecutive: c.consecutive ?? null })),
      },
      rollbacks: counts,
    };
  }
}

/** The job whose status series reads 1, or null: none ever ran (or this instance has not read it yet). */
function currentJob(metrics: Map<string, Series[]>): { id: string; mode: string; status: string } | null {
  const series = (metrics.get(STATUS_METRICS.migrationJob) ?? []).find((s) => s.value === 1);
  return series ? { id: String(series.labels.id), mode: String(series.labels.mode), status: String(series.labels.status) } : null;
}

/** Sum of the series whose labels include `match` (a counter's children across the other labels). */
function sum(series: Series[] | undefined, match: Labels): number {
  let total = 0;
  for (const s of series ?? []) if (matches(s.labels, match)) total += s.value;
  return total;
}

function matches(labels: Labels, match: Labels): boolean {
  for (const [key, value] of Object.entries(match)) if (String(labels[key]) !== String(value)) return false;
  return true;
}

/** The `_bucket` series of a histogram for one label set, as cumulative buckets. */
/** A per-side gauge's series for `side` (they carry one series per side). */
function sideSeries(metrics: Map<string, Series[]>, name: keyof typeof STATUS_METRICS, side: Side): Series | undefined {
  return metrics.get(STATUS_METRICS[name])?.find((s) => s.labels.side === side);
}

function buckets(series: Series[], match: Labels): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of series) {
    if (!s.metricName?.endsWith('_bucket') || !matches(s.labels, match)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

function latency(histogram: Bucket[]): { p50Ms: number | null; p99Ms: number | null; samples: number } {
  const samples = histogram.find((b) => b.le === Infinity)?.count ?? 0;
  if (samples === 0) return { p50Ms: null, p99Ms: null, samples: 0 };
  const ms = (q: number) => finite(histogramQuantile(q, histogram) * 1000);
  return { p50Ms: ms(0.5), p99Ms: ms(0.99), samples };
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** What a change left behind, in a few words: the page never ships whole states. */
function auditRow(entry: AuditEntry): AuditRow {
  const after = entry.after;
  const where = after.stage === 'complete' ? 'complete' : `${after.stage} ${Number(after.percent.toFixed(2))} %`;
  return {
    at: entry.at,
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    reason: entry.reason ?? null,
    result: `${where}${after.rollback ? ', rolled back' : ''} (v${after.version})`,
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterCells, type Cell } from './counter-cells.js';
import { HistogramCells, type HistogramCell } from './histogram-cells.js';
import { SIDES, type Side } from '../domain/message.js';
import { STAGES, type RolloutState } from '../domain/rollout-state.js';
import type { GuardReport, RuleName, Verdict } from '../domain/guard/verdict.js';
import { MISMATCH_KINDS, type ConsistencyMode, type MismatchKind } from '../domain/consistency.js';
import type { BridgeResult, BridgeTelemetry } from '../services/ports/bridge-telemetry.js';
import type { UsageReport } from '../services/usage-meter.js';
import type { ConsistencyResult, ConsistencySkip } from '../services/ports/consistency-telemetry.js';
import type { GuardTelemetry } from '../services/guard.js';
import { itemsDone, itemsExpected, type JobMode, type JobProgress, type JobStatus } from '../domain/migration/job.js';
import type { MismatchKind as MigrationMismatchKind } from '../domain/migration/mismatch.js';
import type { MigrationItem, MigrationOutcome } from '../services/ports/migration-telemetry.js';
import type { FencedOp, OutboxCounts } from '../services/ports/outbox.js';
import type { AdapterOp, CallOutcome, DualWriteResult, SendResult, StateAnomaly, Telemetry } from '../services/ports/telemetry.js';

/** Latency buckets (seconds) fine enough for a p99 guard between 1 ms and 5 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every Cutover metric, defined once; the names are shared with the guard, the dashboard and the
 * alerts. Labels are bounded sets (side, op, outcome, stage): never a user or message id.
 */
const VERDICTS: readonly (Verdict | 'idle')[] = ['healthy', 'hold', 'breach', 'rollback', 'idle'];
const JOB_STATUSES: readonly JobStatus[] = ['running', 'paused', 'finalizing', 'done'];
const RULES: readonly RuleName[] = ['min-samples', 'error-rate', 'error-rate-increase', 'p99', 'latency-test', 'error-test', 'tripwire', 'no-data-cap'];

export class Metrics implements Telemetry, GuardTelemetry, BridgeTelemetry {
  readonly registry = new Registry();

  readonly adapterRequests: Counter<'side' | 'op' | 'outcome'> = new Counter({
    name: 'cutover_adapter_requests_total',
    help: 'Calls to a side, by operation and outcome (ok, timeout, unavailable, vendor_error, rejected)',
    labelNames: ['side', 'op', 'outcome'] as const,
    registers: [this.registry],
    collect: (): void => this.adapterCallCells.publish(),
  });

  readonly adapterLatency = new HistogramCells<'side' | 'op'>({
    name: 'cutover_adapter_latency_seconds',
    help: 'Latency of calls to a side, by operation',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly messages: Counter<'primary' | 'result'> = new Counter({
    name: 'cutover_messages_total',
    help: 'Send requests by primary side and result (accepted, duplicate, pending: the primary answered ambiguously and recovery finishes it, rejected, failed, outbox_unavailable: Redis could not record it)',
    labelNames: ['primary', 'result'] as const,
    registers: [this.registry],
    collect: (): void => this.messageCells.publish(),
  });

  readonly dualWrites: Counter<'side' | 'result'> = new Counter({
    name: 'cutover_dual_write_total',
    help: 'Outbox writes to a side by result (ok, retry, dead_letter, recovered)',
    labelNames: ['side', 'result'] as const,
    registers: [this.registry],
    collect: (): void => this.dualWriteCells.publish(),
  });

  // The per-message counters count into cells and reach prom-client when read (counter-cells.ts).
  private readonly adapterCallCells = new CounterCells(this.adapterRequests);
  private readonly messageCells = new CounterCells(this.messages);
  private readonly dualWriteCells = new CounterCells(this.dualWrites);
  /** Cells and histogram children by label values, nested so a call looks them up without building a key. */
  private readonly adapterCells: Record<Side, Partial<Record<AdapterOp, Partial<Record<CallOutcome, Cell>>>>> = { old: {}, new: {} };
  private readonly latencyCells: Record<Side, Partial<Record<AdapterOp, HistogramCell>>> = { old: {}, new: {} };
  private readonly messageCellsBySide: Record<Side, Partial<Record<SendResult, Cell>>> = { old: {}, new: {} };
  private readonly dualWriteCellsBySide: Record<Side, Partial<Record<DualWriteResult, Cell>>> = { old: {}, new: {} };

  readonly outboxOwed = new Gauge({
    name: 'cutover_outbox_owed',
    help: 'Writes the outbox still owes a side (queued and retrying), all instances',
    labelNames: ['side'] as const,
    registers: [this.registry],
  });

  readonly outboxRetrying = new Gauge({
    name: 'cutover_outbox_retrying',
    help: 'Owed writes waiting out a backoff, all instances',
    labelNames: ['side'] as const,
    registers: [this.registry],
  });

  readonly outboxDeadLetters = new Gauge({
    name: 'cutover_outbox_dead_letters',
    help: 'Writes given up on and kept in the dead-letter list, per side',
    labelNames: ['side'] as const,
    registers: [this.registry],
  });

  readonly outboxUnconfirmed = new Gauge({
    name: 'cutover_outbox_unconfirmed',
    help: 'Primaries begun but not yet confirmed (in flight or awaiting recovery)',
    registers: [this.registry],
  });

  readonly outboxWaitingCommits = new Gauge({
    name: 'cutover_outbox_waiting_commits',
    help: 'Commits this instance holds because Redis did not take them yet (sent again once it answers)',
    registers: [this.registry],
  });

  readonly outboxFenced = new Counter({
    name: 'cutover_outbox_fenced_total',
    help: 'Settling steps refused because another holder had taken the write over (or settled it), by step',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });

  readonly stateAnomalies = new Counter({
    name: 'cutover_state_anomalies_total',
    help: 'Times this instance found the stored rollout state behind or apart from the one it held (version_backwards, generation_changed, rewritten) or gone (missing)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly stateMissing = new Gauge({
    name: 'cutover_state_record_missing',
    help: '1 while the state store answers that no rollout state exists although this instance routes by one (Redis lost its data)',
    registers: [this.registry],
  });

  readonly stateStage = new Gauge({
    name: 'cutover_state_stage',
    help: '1 for the current stage, 0 for the others',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });

  readonly statePercent = new Gauge({ name: 'cutover_state_percent', help: 'Rollout percent of the new cohort', registers: [this.registry] });
  readonly stateRolledBack = new Gauge({ name: 'cutover_state_rolled_back', help: '1 while rolled back', registers: [this.registry] });
  readonly stateVersion = new Gauge({ name: 'cutover_state_version', help: 'Version of the rollout state this instance routes by', registers: [this.registry] });
  private stateAgeSource: (() => number) | undefined;
  readonly stateAge = new Gauge({
    name: 'cutover_state_age_seconds',
    help: 'Seconds since this instance last confirmed its state against the store (grows while Redis is away)',
    registers: [this.registry],
    collect: () => {
      if (this.stateAgeSource) this.stateAge.set(this.stateAgeSource());
    },
  });

  readonly rollbacks = new Counter({
    name: 'cutover_rollbacks_total',
    help: 'Rollbacks seen by this instance, by trigger (manual, auto)',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly guardVerdict = new Gauge({
    name: 'cutover_guard_verdict',
    help: "1 for the guard's current verdict (healthy, hold, breach, rollback; idle when not judging)",
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });

  readonly guardEvaluations = new Counter({
    name: 'cutover_guard_evaluations_total',
    help: 'Guard evaluations by verdict',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });

  readonly guardErrorRate = new Gauge({ name: 'cutover_guard_error_rate', help: 'Error rate per side over the judge window, fleet-wide', labelNames: ['side'] as const, registers: [this.registry] });
  readonly guardP99 = new Gauge({ name: 'cutover_guard_p99_seconds', help: 'p99 send latency per side over the latency window, fleet-wide', labelNames: ['side'] as const, registers: [this.registry] });
  readonly guardRequests = new Gauge({ name: 'cutover_guard_window_requests', help: 'Sends per side in the judge window, fleet-wide', labelNames: ['side'] as const, registers: [this.registry] });
  readonly guardRuleValue = new Gauge({ name: 'cutover_guard_rule_value', help: 'Last value of each guard rule (rates 0..1, latencies in ms, test statistics)', labelNames: ['rule'] as const, registers: [this.registry] });
  readonly guardThreshold = new Gauge({ name: 'cutover_guard_threshold', help: 'Limit of each guard rule, same units as cutover_guard_rule_value', labelNames: ['rule'] as const, registers: [this.registry] });
  readonly guardActions = new Counter({ name: 'cutover_guard_actions_total', help: 'What the guard did: rollback, promote', labelNames: ['action'] as const, registers: [this.registry] });

  readonly unleashMirrors = new Counter({ name: 'cutover_unleash_mirror_total', help: 'Writes of the rollout percent into Unleash, by result (ok, failed)', labelNames: ['result'] as const, registers: [this.registry] });

  // --- Consistency checks (a sample of history reads compared with a second read; docs/consistency.md) ---
  readonly costProjected = new Gauge({
    name: 'cutover_cost_projected',
    help: "A side's projected month-end bill at the current rate (fleet-wide usage, its price table's currency)",
    labelNames: ['side', 'currency'] as const,
    registers: [this.registry],
  });
  readonly costMonthToDate = new Gauge({
    name: 'cutover_cost_month_to_date',
    help: "A side's bill so far this month",
    labelNames: ['side', 'currency'] as const,
    registers: [this.registry],
  });
  readonly costBudget = new Gauge({
    name: 'cutover_cost_budget',
    help: "A side's monthly budget from its price table (billing.<side>.budget)",
    labelNames: ['side', 'currency'] as const,
    registers: [this.registry],
  });
  readonly slaObjective = new Gauge({
    name: 'cutover_sla_objective_ratio',
    help: "A side's availability objective (sla.<side>.availability / 100): the burn-rate alerts read it",
    labelNames: ['side'] as const,
    registers: [this.registry],
  });
  readonly slaAvailability = new Gauge({
    name: 'cutover_sla_availability_ratio',
    help: "A side's measured availability this month, fleet-wide (successful / all sends, a 4xx not counted)",
    labelNames: ['side'] as const,
    registers: [this.registry],
  });
  readonly slaBudgetLeft = new Gauge({
    name: 'cutover_sla_error_budget_remaining_ratio',
    help: "Share of this month's error budget left, fleet-wide (negative once spent)",
    labelNames: ['side'] as const,
    registers: [this.registry],
  });
  readonly usageUnits = new Gauge({
    name: 'cutover_usage_units',
    help: "Units a side billed this month, fleet-wide, in its billing unit",
    labelNames: ['side', 'unit'] as const,
    registers: [this.registry],
  });
  readonly usagePeakConcurrentUsers = new Gauge({
    name: 'cutover_usage_peak_concurrent_users',
    help: "A side's most users seen online in one minute this month, fleet-wide: a lower bound of its peak concurrent users (docs/cost.md)",
    labelNames: ['side'] as const,
    registers: [this.registry],
  });
  readonly bridgeMessages = new Counter({
    name: 'cutover_bridge_messages_total',
    help: 'Messages clients sent through one side\'s SDK, by the side (from) and result (bridged: queued for the other side; duplicate: its id was taken before; not_needed)',
    labelNames: ['from', 'result'] as const,
    registers: [this.registry],
  });
  readonly bridgeLagSeconds = new Histogram({
    name: 'cutover_bridge_lag_seconds',
    help: 'From the client\'s send (the event\'s sentAt) to the other side holding a bridged message, by the side it came from',
    labelNames: ['from'] as const,
    // Fine below a second, where a healthy bridge lives (the target is p99 ≤ 250 ms).
    buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly bridgeRejections = new Counter({
    name: 'cutover_bridge_rejected_total',
    help: 'Webhook events refused, by side and reason (bad_signature, stale_timestamp, missing_signature, replayed, invalid_event, not_configured, …): nothing was written',
    labelNames: ['side', 'reason'] as const,
    registers: [this.registry],
  });
  readonly consistencyChecks = new Counter({
    name: 'cutover_consistency_checks_total',
    help: 'Sampled history reads by mode (other-side, same-side) and result (match, mismatch, error: the compared read failed, skipped)',
    labelNames: ['mode', 'result'] as const,
    registers: [this.registry],
  });
  readonly consistencySkips = new Counter({
    name: 'cutover_consistency_skipped_total',
    help: 'Sampled history reads not compared, by reason (not_dual_writing, degraded, in_flight_limit)',
    labelNames: ['mode', 'reason'] as const,
    registers: [this.registry],
  });
  readonly consistencyMismatches = new Counter({
    name: 'cutover_consistency_mismatched_messages_total',
    help: 'Messages found different by the consistency checks, by kind (missing_on_served, missing_on_compared, content)',
    labelNames: ['mode', 'kind'] as const,
    registers: [this.registry],
  });
  // --- end of consistency checks ---

  // --- Moving existing data (cutover migrate; docs/migration.md) ---
  readonly migrationItemCounts = new Counter({
    name: 'cutover_migration_items_total',
    help: 'Items this instance moved or verified, by job mode (copy, verify), item (message, member, user, group, conversation) and outcome (created, existing: new held it already, written, verified, missing: gone from old)',
    labelNames: ['mode', 'item', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly migrationMismatchCounts = new Counter({
    name: 'cutover_migration_mismatches_total',
    help: 'Differences verification found between the sides, by kind, and how many of them a re-drive fixed (fixed="true")',
    labelNames: ['kind', 'fixed'] as const,
    registers: [this.registry],
  });
  readonly migrationErrors = new Counter({
    name: 'cutover_migration_errors_total',
    help: 'Migration calls that failed and were tried again (retry), and units put back after every try failed (unit_failed), by side',
    labelNames: ['side', 'what'] as const,
    registers: [this.registry],
  });
  /** Carries the job id so the status page can name the job: one job's series at a time (reset at every read), a few per migration. */
  readonly migrationJob = new Gauge({
    name: 'cutover_migration_job_status',
    help: 'The migration job (id, mode) as this instance last read it: 1 for its status (running, paused, finalizing, done), 0 for the others',
    labelNames: ['id', 'mode', 'status'] as const,
    registers: [this.registry],
  });
  readonly migrationProgressItems = new Gauge({
    name: 'cutover_migration_progress_items',
    help: 'Items of the current job, fleet-wide: done, and expected (its plan, or what it listed since)',
    labelNames: ['of'] as const,
    registers: [this.registry],
  });
  readonly migrationOpenUnits = new Gauge({ name: 'cutover_migration_open_units', help: 'Units listed but not finished, fleet-wide (leased: held by an instance now)', labelNames: ['state'] as const, registers: [this.registry] });
  readonly migrationEta = new Gauge({ name: 'cutover_migration_eta_seconds', help: 'Seconds the current job needs at its rate so far; -1 when unknown', registers: [this.registry] });
  readonly migrationMismatchesFound = new Gauge({ name: 'cutover_migration_job_mismatches', help: 'Mismatches the current verify job found (fixed: repaired by its re-drive)', labelNames: ['state'] as const, registers: [this.registry] });
  readonly migrationVerifiedUsers = new Gauge({ name: 'cutover_migration_verified_users', help: 'Users whose existing data was verified on new (the gate lets them into the new cohort)', registers: [this.registry] });
  // --- end of moving existing data ---

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'cutover_' });
    // Zeroed series so dashboards and alerts see every label set from the start.
    for (const side of SIDES) {
      for (const result of ['ok', 'retry', 'dead_letter', 'recovered'] as const) this.dualWriteCellsBySide[side][result] = this.dualWriteCells.cell({ side, result });
      for (const result of ['accepted', 'duplicate', 'pending', 'rejected', 'failed', 'outbox_unavailable'] as const) this.messageCellsBySide[side][result] = this.messageCells.cell({ primary: side, result });
      const send: Partial<Record<CallOutcome, Cell>> = (this.adapterCells[side].send = {});
      for (const outcome of ['ok', 'timeout', 'unavailable', 'vendor_error', 'rejected'] as const) send[outcome] = this.adapterCallCells.cell({ side, op: 'send', outcome });
    }
    for (const trigger of ['manual', 'auto'] as const) this.rollbacks.inc({ trigger }, 0);
    for (const verdict of VERDICTS) this.guardEvaluations.inc({ verdict }, 0);
    for (const action of ['rollback', 'promote'] as const) this.guardActions.inc({ action }, 0);
    for (const result of ['ok', 'failed'] as const) this.unleashMirrors.inc({ result }, 0);
    this.zeroConsistency();
    for (const side of SIDES) for (const what of ['retry', 'unit_failed'] as const) this.migrationErrors.inc({ side, what }, 0);
    this.migrationProgress(null, null, 0);
    for (const op of ['abort', 'hand_over', 'retry', 'dead_letter', 'ack'] as const) this.outboxFenced.inc({ op }, 0);
    for (const from of SIDES) for (const result of ['bridged', 'duplicate', 'not_needed'] as const) this.bridgeMessages.inc({ from, result }, 0);
    for (const side of SIDES) for (const reason of ['bad_signature', 'stale_timestamp', 'missing_signature', 'replayed', 'invalid_event'] as const) this.bridgeRejections.inc({ side, reason }, 0);
    for (const kind of ['version_backwards', 'generation_changed', 'rewritten', 'missing'] as const) this.stateAnomalies.inc({ kind }, 0);
    this.stateMissing.set(0);
    this.outboxCounts({ owed: { old: 0, new: 0 }, retrying: { old: 0, new: 0 }, deadLettered: { old: 0, new: 0 }, unconfirmed: 0, waitingCommits: 0 });
    this.guardReport(null);
  }

  adapterCall(side: Side, op: AdapterOp, outcome: CallOutcome, seconds: number): void {
    const byOutcome = this.adapterCells[side][op] ??= {};
    (byOutcome[outcome] ??= this.adapterCallCells.cell({ side, op, outcome })).value++;
    (this.latencyCells[side][op] ??= this.adapterLatency.cell({ side, op })).observe(seconds);
  }

  message(primary: Side, result: SendResult): void {
    (this.messageCellsBySide[primary][result] ??= this.messageCells.cell({ primary, result })).value++;
  }

  dualWrite(side: Side, result: DualWriteResult): void {
    (this.dualWriteCellsBySide[side][result] ??= this.dualWriteCells.cell({ side, result })).value++;
  }

  outboxCounts(counts: OutboxCounts): void {
    for (const side of SIDES) {
      this.outboxOwed.set({ side }, counts.owed[side]);
      this.outboxRetrying.set({ side }, counts.retrying[side]);
      this.outboxDeadLetters.set({ side }, counts.deadLettered[side]);
    }
    this.outboxUnconfirmed.set(counts.unconfirmed);
    this.outboxWaitingCommits.set(counts.waitingCommits);
  }

  outboxFence(op: FencedOp, count: number): void {
    this.outboxFenced.inc({ op }, count);
  }

  stateAnomaly(kind: StateAnomaly): void {
    this.stateAnomalies.inc({ kind });
    if (kind === 'missing') this.stateMissing.set(1);
  }

  /** Reads the state's age at scrape time, so a hung re-read cannot freeze the gauge. */
  trackStateAge(seconds: () => number): void {
    this.stateAgeSource = seconds;
  }

  stateFound(): void {
    this.stateMissing.set(0);
  }

  state(state: RolloutState, syncedAgoSeconds: number): void {
    for (const stage of STAGES) this.stateStage.set({ stage }, stage === state.stage ? 1 : 0);
    this.statePercent.set(state.percent);
    this.stateRolledBack.set(state.rollback ? 1 : 0);
    this.stateVersion.set(state.version);
    this.stateAge.set(syncedAgoSeconds);
  }

  guardReport(report: GuardReport | null): void {
    const verdict = report?.verdict ?? 'idle';
    for (const v of VERDICTS) this.guardVerdict.set({ verdict: v }, v === verdict ? 1 : 0);
    // Only what this evaluation computed: a gauge left from an older report would lie.
    this.guardRuleValue.reset();
    this.guardThreshold.reset();
    this.guardP99.reset();
    if (!report) {
      this.guardErrorRate.reset();
      this.guardRequests.reset();
      return;
    }
    this.guardEvaluations.inc({ verdict });
    for (const side of SIDES) {
      this.guardErrorRate.set({ side }, report[side].errorRate);
      this.guardRequests.set({ side }, report[side].requests);
      if (Number.isFinite(report[side].p99Ms)) this.guardP99.set({ side }, report[side].p99Ms / 1000);
    }
    for (const check of report.checks) {
      if (!RULES.includes(check.rule)) continue;
      if (Number.isFinite(check.value)) this.guardRuleValue.set({ rule: check.rule }, check.value);
      this.guardThreshold.set({ rule: check.rule }, check.limit);
    }
  }

  guardAction(action: 'rollback' | 'promote'): void {
    this.guardActions.inc({ action });
  }

  unleashMirror(ok: boolean): void {
    this.unleashMirrors.inc({ result: ok ? 'ok' : 'failed' });
  }

  rollbackSeen(trigger: 'manual' | 'auto'): void {
    this.rollbacks.inc({ trigger });
  }

  usageReport(report: UsageReport): void {
    for (const side of SIDES) {
      const s = report.sides[side];
      this.usageUnits.set({ side, unit: s.price?.unit ?? 'message' }, s.units);
      this.usagePeakConcurrentUsers.set({ side }, s.peakConcurrentUsers.users);
      if (s.sla) {
        this.slaObjective.set({ side }, s.sla.objective.availability / 100);
        this.slaAvailability.set({ side }, s.sla.availability ?? 1);
        this.slaBudgetLeft.set({ side }, s.sla.errorBudget.leftShare ?? 1);
      }
      if (!s.price || !s.projection) continue;
      const labels = { side, currency: s.price.currency };
      this.costProjected.set(labels, s.projection.monthEnd.total);
      this.costMonthToDate.set(labels, s.projection.monthToDate.total);
      if (s.price.budget !== undefined) this.costBudget.set(labels, s.price.budget);
    }
  }

  bridged(from: Side, result: BridgeResult): void {
    this.bridgeMessages.inc({ from, result });
  }

  bridgeLag(from: Side, seconds: number): void {
    this.bridgeLagSeconds.observe({ from }, Math.max(0, seconds));
  }

  bridgeRejected(side: Side, reason: string): void {
    this.bridgeRejections.inc({ side, reason });
  }

  consistencyChecked(mode: ConsistencyMode, result: Exclude<ConsistencyResult, 'skipped'>): void {
    this.consistencyChecks.inc({ mode, result });
  }

  consistencySkipped(mode: ConsistencyMode, reason: ConsistencySkip): void {
    this.consistencyChecks.inc({ mode, result: 'skipped' });
    this.consistencySkips.inc({ mode, reason });
  }

  consistencyMismatched(mode: ConsistencyMode, kind: MismatchKind, messages: number): void {
    this.consistencyMismatches.inc({ mode, kind }, messages);
  }

  migrationItems(mode: JobMode, item: MigrationItem, outcome: MigrationOutcome, count: number): void {
    if (count > 0) this.migrationItemCounts.inc({ mode, item, outcome }, count);
  }

  migrationMismatches(kind: MigrationMismatchKind, count: number, fixed: number): void {
    if (count - fixed > 0) this.migrationMismatchCounts.inc({ kind, fixed: 'false' }, count - fixed);
    if (fixed > 0) this.migrationMismatchCounts.inc({ kind, fixed: 'true' }, fixed);
  }

  migrationError(side: Side, what: 'retry' | 'unit_failed'): void {
    this.migrationErrors.inc({ side, what });
  }

  migrationProgress(progress: JobProgress | null, etaSeconds: number | null, verifiedUsers: number): void {
    this.migrationJob.reset();
    if (progress) {
      const { id, mode } = progress.job;
      for (const status of JOB_STATUSES) this.migrationJob.set({ id, mode, status }, status === progress.job.status ? 1 : 0);
    }
    this.migrationProgressItems.set({ of: 'done' }, progress ? itemsDone(progress) : 0);
    this.migrationProgressItems.set({ of: 'expected' }, progress ? itemsExpected(progress) : 0);
    this.migrationOpenUnits.set({ state: 'open' }, progress?.units.open ?? 0);
    this.migrationOpenUnits.set({ state: 'leased' }, progress?.units.leased ?? 0);
    this.migrationEta.set(etaSeconds ?? -1);
    this.migrationMismatchesFound.set({ state: 'found' }, progress?.counters.mismatches ?? 0);
    this.migrationMismatchesFound.set({ state: 'fixed' }, progress?.counters.fixed ?? 0);
    this.migrationVerifiedUsers.set(verifiedUsers);
  }

  private zeroConsistency(): void {
    for (const mode of ['other-side', 'same-side'] as const) {
      for (const result of ['match', 'mismatch', 'error', 'skipped'] as const) this.consistencyChecks.inc({ mode, result }, 0);
      for (const reason of ['not_dual_writing', 'degraded', 'in_flight_limit'] as const) this.consistencySkips.inc({ mode, reason }, 0);
      for (const kind of MISMATCH_KINDS) this.consistencyMismatches.inc({ mode, kind }, 0);
    }
  }
}

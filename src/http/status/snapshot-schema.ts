import { Type, type Static } from '@sinclair/typebox';
import { RollbackSchema, StageName } from '../schemas.js';

/*
 * The status page's data. A response schema on purpose: fast-json-stringify writes only the
 * fields named here, so nothing else (a token, a user id) can ride along by accident.
 */

const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);

const Latency = Type.Object({
  p50Ms: MaybeNumber,
  p99Ms: MaybeNumber,
  /** Sends the quantiles were computed from (null p50/p99 when 0). */
  samples: Type.Number(),
});

export const SideStatusSchema = Type.Object({
  adapter: Type.String({ description: 'Adapter kind: memory, http-legacy, agora-rtm' }),
  sends: Type.Object({
    total: Type.Number({ description: 'Send calls to this side since this instance started (primary and outbox writes)' }),
    errors: Type.Number(),
    byOutcome: Type.Object({ ok: Type.Number(), timeout: Type.Number(), unavailable: Type.Number(), vendor_error: Type.Number(), rejected: Type.Number() }),
  }),
  /** Rates over `rateWindowMs`; null until two samples exist. */
  sendsPerSecond: MaybeNumber,
  errorsPerSecond: MaybeNumber,
  /** Failed / all sends in the window (0..1); null without sends. */
  errorRatio: MaybeNumber,
  latency: Type.Object({ window: Latency, sinceStart: Latency }),
  messages: Type.Object({
    accepted: Type.Number({ description: 'Send requests accepted with this side as primary' }),
    duplicate: Type.Number(),
    rejected: Type.Number(),
    failed: Type.Number(),
    acceptedPerSecond: MaybeNumber,
  }),
  dualWrite: Type.Object({ ok: Type.Number(), retry: Type.Number(), deadLetter: Type.Number(), recovered: Type.Number() }),
  outbox: Type.Object({ owed: Type.Number(), retrying: Type.Number(), deadLetters: Type.Number() }),
  /** Messages clients sent through this side's SDK (its webhook), on their way to the other side. */
  bridge: Type.Object({
    bridged: Type.Number({ description: 'Queued for the other side' }),
    duplicates: Type.Number({ description: 'Events whose id was taken before (a retried webhook)' }),
    rejected: Type.Number({ description: 'Webhook events refused (signature, replay, malformed): nothing written' }),
    /** Client send to the other side holding it, since this instance started. */
    lag: Latency,
  }),
  /**
   * What the side was metered for this month, fleet-wide (docs/cost.md): units in its billing unit
   * and the most users seen online in one minute; null before the first usage report (made only
   * with a price table or an SLA configured).
   */
  usage: Type.Union([Type.Object({ unit: Type.String(), units: Type.Number(), peakConcurrentUsers: Type.Number() }), Type.Null()]),
  /** The month's bill from the price table (billing.<side>); null without one, or before the first minute's report. */
  cost: Type.Union([Type.Object({ currency: Type.String(), monthToDate: Type.Number(), projected: Type.Number(), budget: MaybeNumber }), Type.Null()]),
  /** This month against sla.<side>; null without one. */
  sla: Type.Union([Type.Object({ objective: Type.Number(), availability: Type.Number(), budgetLeft: Type.Number() }), Type.Null()]),
});

const PlanStepSchema = Type.Object({ percent: Type.Number(), bakeMs: Type.Number() });

export const StateStatusSchema = Type.Object({
  stage: StageName,
  percent: Type.Number(),
  version: Type.Integer(),
  since: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
  /** Since this instance last confirmed the state against the store (grows while Redis is away). */
  stateAgeMs: Type.Number(),
  dualWriting: Type.Boolean(),
  rollback: Type.Union([RollbackSchema, Type.Null()]),
  plan: Type.Object({
    steps: Type.Array(PlanStepSchema),
    autoPromote: Type.Boolean(),
    index: Type.Integer(),
    current: MaybeNumber,
    next: MaybeNumber,
    bakedMs: Type.Number(),
    bakeRemainingMs: Type.Number(),
    readyToStep: Type.Boolean(),
  }),
});

const GuardSideSchema = Type.Object({ requests: Type.Number(), errorRate: Type.Number(), p99Ms: MaybeNumber });

export const GuardStatusSchema = Type.Object({
  enabled: Type.Boolean(),
  report: Type.Union([
    Type.Object({
      verdict: Type.String(),
      reason: Type.String(),
      rule: Type.Union([Type.String(), Type.Null()]),
      second: Type.Number(),
      old: GuardSideSchema,
      new: GuardSideSchema,
      sequential: Type.Object({
        logLikelihoodRatio: Type.Number(), threshold: Type.Number(), testStart: MaybeNumber, newRequests: Type.Number(), oldRequests: Type.Number(),
      }),
      checks: Type.Array(Type.Object({
        rule: Type.String(), status: Type.String(), value: MaybeNumber, limit: MaybeNumber, consecutive: MaybeNumber,
      })),
    }),
    Type.Null(),
  ], { description: "The guard's last verdict, or null when it is not judging" }),
  rollbacks: Type.Object({ manual: Type.Number(), auto: Type.Number() }),
});

const MigrationErrorsSchema = Type.Object({
  /** Calls to this side that failed and were tried again. */
  retries: Type.Number(),
  /** Units given back after every try failed: another instance takes them later. */
  unitsPutBack: Type.Number(),
});

export const MigrationJobStatusSchema = Type.Object({
  id: Type.String(),
  mode: Type.String({ description: 'copy or verify' }),
  status: Type.String({ description: 'running, paused, finalizing or done' }),
  done: Type.Number(),
  expected: Type.Number(),
  /** done / expected (0..1); null while nothing is expected. */
  progress: MaybeNumber,
  /** Change of `done` over `rateWindowMs`; null on the first snapshot or right after the job changed. */
  itemsPerSecond: MaybeNumber,
  /** At the job's pace so far; null when unknown. */
  etaSeconds: MaybeNumber,
  units: Type.Object({ open: Type.Number(), leased: Type.Number() }),
  mismatches: Type.Object({ found: Type.Number(), fixed: Type.Number() }),
  verifiedUsers: Type.Number(),
  /** This instance's counts since it started, unlike the rest of the job's figures (fleet-wide). */
  errors: Type.Object({ old: MigrationErrorsSchema, new: MigrationErrorsSchema }),
});

export const AuditRowSchema = Type.Object({
  at: Type.String(),
  actor: Type.String(),
  role: Type.String(),
  action: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  /** Where the change left the rollout, in a few words (never the full state). */
  result: Type.String(),
});

export const StatusSnapshotSchema = Type.Object({
  generatedAt: Type.String(),
  migration: Type.String(),
  /** The interval the rates and windowed latencies cover; null on the first snapshot. */
  rateWindowMs: MaybeNumber,
  sides: Type.Object({ old: SideStatusSchema, new: SideStatusSchema }),
  outboxUnconfirmed: Type.Number(),
  state: Type.Union([StateStatusSchema, Type.Null()], { description: 'null until the state is first loaded' }),
  guard: GuardStatusSchema,
  migrationJob: Type.Union([MigrationJobStatusSchema, Type.Null()], { description: 'The job moving existing data (cutover migrate); null when none ever ran, or before this instance first read it' }),
  audit: Type.Array(AuditRowSchema),
  /** Set when the audit could not be read this time (the rows are the last ones read). */
  auditError: Type.Union([Type.String(), Type.Null()]),
});

export type SideStatus = Static<typeof SideStatusSchema>;
export type StateStatus = Static<typeof StateStatusSchema>;
export type GuardStatus = Static<typeof GuardStatusSchema>;
export type MigrationJobStatus = Static<typeof MigrationJobStatusSchema>;
export type AuditRow = Static<typeof AuditRowSchema>;
export type StatusSnapshot = Static<typeof StatusSnapshotSchema>;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InvalidRequestError, NotFoundError } from '../../domain/errors.js';
import type { RolloutState } from '../../domain/rollout-state.js';
import { checkRaise, nextStep, planPosition, positionSummary } from '../../domain/plan.js';
import { newShareOfEligible } from '../../domain/route.js';
import type { StateChange } from '../../domain/transitions.js';
import { formatDuration } from '../../config/duration.js';
import type { Actor } from '../../services/rollout-control.js';
import {
  AuditEntrySchema, ChangeReply, DeadLetterSchema, OutboxCountsSchema, RolloutStateSchema, SideName, StageName, errorReplies,
} from '../schemas.js';

const Reason = Type.String({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' });
const ExpectedVersion = Type.Integer({ minimum: 0, description: 'Apply only if the state is still at this version (409 otherwise)' });
const changeReplies = { 200: ChangeReply, ...errorReplies(400, 401, 403, 409, 503) };

export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, control, stateView, stateStore, outbox, memorySide, config, guard, instanceId, metrics, migration } = app.services;
  const { plan } = config;
  const viewer = auth.require('viewer');
  const operator = auth.require('operator');

  const change = async (
    actor: Actor | undefined,
    stateChange: StateChange | ((current: RolloutState) => StateChange),
    reason: string | undefined,
    expectedVersion: number | undefined,
    options: { force?: boolean; action?: string } = {},
  ) => {
    const force = options.force ?? ('force' in stateChange && stateChange.force);
    if (force && !reason) throw new InvalidRequestError('force needs a reason');
    const outcome = await control.change(actor!, stateChange, { reason, expectedVersion, action: options.action });
    return { state: outcome.state, changed: outcome.changed, note: outcome.note, replication: outcome.replication };
  };

  app.get('/admin/rollout', {
    schema: {
      summary: 'Rollout state as this instance routes by it', tags: ['admin'], security: [{ bearer: [] }],
      response: {
        200: Type.Object({
          instanceId: Type.String({ description: 'The instance that answered (its view of the state)' }),
          state: RolloutStateSchema,
          stateAgeMs: Type.Number(),
          plan: Type.Object({ autoPromote: Type.Boolean(), steps: Type.Array(Type.Object({ percent: Type.Number(), bake: Type.String() })) }),
          position: Type.Object({
            index: Type.Integer(), current: Type.Union([Type.Number(), Type.Null()]), next: Type.Union([Type.Number(), Type.Null()]),
            bakedMs: Type.Number(), bakeRemainingMs: Type.Number(), readyToStep: Type.Boolean(),
          }),
          guard: Type.Object({ enabled: Type.Boolean(), report: Type.Unknown({ description: "The guard's last verdict with its numbers, or null when it is not judging" }) }),
          cohort: Type.Object({
            newShareOfEligible: Type.Number({ description: 'Share of eligible users whose cohort is new now (0..1)' }),
            acceptedByPrimary: Type.Object({ old: Type.Number(), new: Type.Number() }, { description: 'Messages this instance accepted, by primary side, since it started' }),
          }),
        }),
        ...errorReplies(401, 403, 503),
      },
    },
    preHandler: viewer,
  }, async () => {
    const state = stateView.current();
    const position = planPosition(plan, state, Date.now());
    const accepted = (await metrics.messages.get()).values.filter((v) => v.labels.result === 'accepted');
    const acceptedBy = (side: string) => accepted.find((v) => v.labels.primary === side)?.value ?? 0;
    return {
      instanceId,
      state,
      stateAgeMs: stateView.ageMs,
      plan: { autoPromote: plan.autoPromote, steps: plan.steps.map((s) => ({ percent: s.percent, bake: formatDuration(s.bakeMs) })) },
      position: positionSummary(position),
      guard: config.guard.enabled ? { enabled: true, report: guard.lastReport } : { enabled: false, report: null },
      cohort: {
        newShareOfEligible: newShareOfEligible(state),
        acceptedByPrimary: { old: acceptedBy('old'), new: acceptedBy('new') },
      },
    };
  });

  app.post('/admin/rollout/step', {
    schema: {
      summary: "Move to the plan's next step once the current one has baked (force skips the wait, with a reason)",
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ force: Type.Optional(Type.Boolean()), reason: Type.Optional(Reason), expectedVersion: Type.Optional(ExpectedVersion) }, { additionalProperties: false }),
      response: changeReplies,
    },
    preHandler: operator,
  }, async (request) => {
    const { force = false, reason, expectedVersion } = request.body;
    return change(request.actor, (current) => nextStep(plan, current, Date.now(), force), reason, expectedVersion, { force, action: 'step' });
  });

  app.post('/admin/rollout/percent', {
    schema: {
      summary: 'Set the rollout percent (0..100, steps of 0.01). Raising waits for the bake and stops at the next plan step; lowering, skipping or hurrying need force and a reason',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ percent: Type.Number({ minimum: 0, maximum: 100 }), force: Type.Optional(Type.Boolean()), reason: Type.Optional(Reason), expectedVersion: Type.Optional(ExpectedVersion) }, { additionalProperties: false }),
      response: changeReplies,
    },
    preHandler: operator,
  }, async (request) => {
    const { percent, force, reason, expectedVersion } = request.body;
    const decide = (current: RolloutState): StateChange => {
      if (!force) checkRaise(plan, current, percent, Date.now());
      return { type: 'set-percent', percent, force };
    };
    return change(request.actor, decide, reason, expectedVersion, { force, action: 'set-percent' });
  });

  app.post('/admin/rollout/stage', {
    schema: {
      summary: 'Move the stage (off → shadow → canary → complete); going back needs force and a reason',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ stage: StageName, force: Type.Optional(Type.Boolean()), reason: Type.Optional(Reason), expectedVersion: Type.Optional(ExpectedVersion) }, { additionalProperties: false }),
      response: changeReplies,
    },
    preHandler: operator,
  }, async (request) => {
    const { stage, force, reason, expectedVersion } = request.body;
    if (stage === 'complete' && config.migrate.requireVerified && !force) await migration.checkAllVerified();
    return change(request.actor, { type: 'set-stage', stage, force }, reason, expectedVersion);
  });

  app.post('/admin/rollout/rollback', {
    schema: {
      summary: 'Roll everyone back to old now (dual-writes go on); idempotent',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ reason: Reason }, { additionalProperties: false }),
      response: changeReplies,
    },
    preHandler: operator,
  }, async (request) => change(request.actor, { type: 'rollback', trigger: 'manual', reason: request.body.reason }, request.body.reason, undefined));

  app.post('/admin/rollout/resume', {
    schema: {
      summary: 'Return to the state before the rollback (or a lower percent); a no-op when not rolled back',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })), reason: Type.Optional(Reason), expectedVersion: Type.Optional(ExpectedVersion) }, { additionalProperties: false }),
      response: changeReplies,
    },
    preHandler: operator,
  }, async (request) => {
    const { percent, reason, expectedVersion } = request.body;
    return change(request.actor, { type: 'resume', percent }, reason, expectedVersion);
  });

  app.get('/admin/audit', {
    schema: {
      summary: 'Audit log, newest first; page with `before` = the last id seen',
      tags: ['admin'], security: [{ bearer: [] }],
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }), before: Type.Optional(Type.String({ pattern: '^[0-9]+-[0-9]+$' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ entries: Type.Array(AuditEntrySchema), next: Type.Union([Type.String(), Type.Null()]) }), ...errorReplies(400, 401, 403) },
    },
    preHandler: viewer,
  }, async (request) => {
    // One more than asked tells whether an older page exists.
    const entries = await stateStore.audit(request.query.limit + 1, request.query.before);
    const page = entries.slice(0, request.query.limit);
    return { entries: page, next: entries.length > page.length ? page[page.length - 1]!.id : null };
  });

  app.get('/admin/outbox', {
    schema: {
      summary: 'What the outbox owes each side, and the newest dead letters',
      tags: ['admin'], security: [{ bearer: [] }],
      querystring: Type.Object({ deadLetters: Type.Integer({ minimum: 0, maximum: 500, default: 20 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ counts: OutboxCountsSchema, deadLetters: Type.Object({ old: Type.Array(DeadLetterSchema), new: Type.Array(DeadLetterSchema) }) }),
        ...errorReplies(400, 401, 403, 503),
      },
    },
    preHandler: viewer,
  }, async (request) => {
    const limit = request.query.deadLetters;
    const [counts, old, fresh] = await Promise.all([
      outbox.counts(),
      limit > 0 ? outbox.deadLetters('old', limit) : [],
      limit > 0 ? outbox.deadLetters('new', limit) : [],
    ]);
    return { counts, deadLetters: { old, new: fresh } };
  });

  app.post('/admin/outbox/redrive', {
    schema: {
      summary: "Put a side's dead letters back in its outbox queue (oldest first), once the cause is fixed",
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ side: SideName, limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000 }), reason: Reason }, { additionalProperties: false }),
      response: { 200: Type.Object({ side: SideName, redriven: Type.Integer() }), ...errorReplies(400, 401, 403, 503) },
    },
    preHandler: operator,
  }, async (request) => {
    const { side, limit, reason } = request.body;
    const redriven = await outbox.redrive(side, limit);
    request.log.warn({ actor: request.actor?.name, role: request.actor?.role, action: 'outbox-redrive', side, redriven, reason }, 'dead letters redriven');
    return { side, redriven };
  });

  // Fault injection is for drills on memory sides; with none, the route does not exist at all (404).
  if (memorySide('old') || memorySide('new')) {
    app.put('/admin/sides/:side/faults', {
      schema: {
        summary: 'Inject faults into a memory side (drills, demos); exists only when a side is one, and a side that is not answers 404',
        tags: ['admin'], security: [{ bearer: [] }],
        params: Type.Object({ side: SideName }),
        body: Type.Object({
          latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
          errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          down: Type.Optional(Type.Boolean()),
        }, { additionalProperties: false }),
        response: {
          200: Type.Object({ side: SideName, faults: Type.Object({ latencyMs: Type.Integer(), errorRate: Type.Number(), down: Type.Boolean() }) }),
          ...errorReplies(400, 401, 403, 404),
        },
      },
      preHandler: operator,
    }, async (request) => {
      const side = request.params.side;
      const adapter = memorySide(side);
      if (!adapter) throw new NotFoundError(`side ${side} is not a memory adapter; inject faults at the vendor (or the simulator's /_sim/faults)`);
      const faults = adapter.setFaults(request.body);
      request.log.warn({ actor: request.actor?.name, role: request.actor?.role, action: 'side-faults', side, faults }, 'fault injected');
      return { side, faults };
    });
  }

};

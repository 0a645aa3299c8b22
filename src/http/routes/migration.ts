import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DURATION_PATTERN, parseDuration } from '../../config/duration.js';
import { errorReplies } from '../schemas.js';

const Reason = Type.String({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' });
/** Replies carry the job's records as they are; the CLI and the status page read them (docs/migration.md). */
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });
const DEFAULT_SETTLE = '10s';

export const migrationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, migration } = app.services;
  const viewer = auth.require('viewer');
  const operator = auth.require('operator');
  const status = { 200: Open('The job: status, listing position, counters, pace and ETA'), ...errorReplies(400, 401, 403, 404, 409, 422, 503) };

  app.get('/admin/migration/plan', {
    schema: {
      summary: 'What moving existing data would take: what the old side holds, what the sides allow, the calls and the time the limits impose',
      tags: ['admin'], security: [{ bearer: [] }],
      response: { 200: Open('Totals, the target side limits, the rates and the estimate'), ...errorReplies(401, 403, 422, 503) },
    },
    preHandler: viewer,
  }, async () => migration.plan());

  app.get('/admin/migration', {
    schema: { summary: 'The current (or last) migration job, fleet-wide', tags: ['admin'], security: [{ bearer: [] }], response: status },
    preHandler: viewer,
  }, async () => migration.status());

  app.post('/admin/migration/start', {
    schema: {
      summary: 'Start a job on every instance: copy moves what old holds to new; verify compares every unit (redrive: and repairs what differs)',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({
        mode: Type.Union([Type.Literal('copy'), Type.Literal('verify')]),
        redrive: Type.Optional(Type.Boolean({ description: 'verify only: write old\'s version of whatever differs, then compare again' })),
        settle: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: `verify only: messages younger than this are the next verify's (default ${DEFAULT_SETTLE})` })),
        reason: Reason,
      }, { additionalProperties: false }),
      response: status,
    },
    preHandler: operator,
  }, async (request) => {
    const { mode, redrive = false, settle = DEFAULT_SETTLE, reason } = request.body;
    return migration.start(request.actor!, { mode, redrive, reason, settleMs: parseDuration(settle) ?? 0 });
  });

  app.post('/admin/migration/pause', {
    schema: {
      summary: 'Pause the job: every instance leaves its units at the next page, checkpointed; idempotent',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ reason: Reason }, { additionalProperties: false }),
      response: status,
    },
    preHandler: operator,
  }, async (request) => migration.pause(request.actor!, request.body.reason));

  app.post('/admin/migration/resume', {
    schema: {
      summary: 'Resume a paused job from its checkpoints; idempotent',
      tags: ['admin'], security: [{ bearer: [] }],
      body: Type.Object({ reason: Reason }, { additionalProperties: false }),
      response: status,
    },
    preHandler: operator,
  }, async (request) => migration.resume(request.actor!, request.body.reason));

  app.get('/admin/migration/report', {
    schema: {
      summary: "The last verify job's mismatches: what differs, where, and what each side holds",
      tags: ['admin'], security: [{ bearer: [] }],
      querystring: Type.Object({
        offset: Type.Integer({ minimum: 0, default: 0 }),
        limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
      }, { additionalProperties: false }),
      response: { 200: Open('Totals by kind, and the mismatches of this page'), ...errorReplies(400, 401, 403, 404) },
    },
    preHandler: viewer,
  }, async (request) => migration.report(request.query.offset, request.query.limit));
};

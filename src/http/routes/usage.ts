import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorReplies } from '../schemas.js';

const BillSchema = Type.Object({
  units: Type.Number(), packageFee: Type.Number(), overageUnits: Type.Number(), overage: Type.Number(),
  peakConcurrentUsers: Type.Number(), overageConcurrentUsers: Type.Number(), concurrentUsersOverage: Type.Number({ description: 'The price of the concurrent users over' }),
  total: Type.Number(),
});
const PriceSchema = Type.Object({
  unit: Type.String(), currency: Type.String(), packageFee: Type.Number(), includedUnits: Type.Number(), overagePerUnit: Type.Number(),
  includedConcurrentUsers: Type.Optional(Type.Number()), overagePerConcurrentUser: Type.Optional(Type.Number()),
  budget: Type.Optional(Type.Number()), channelReceivers: Type.Optional(Type.Number()),
});
const Failures = Type.Object({ timeout: Type.Number(), unavailable: Type.Number(), vendor_error: Type.Number(), rejected: Type.Number() });
const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);
const SlaSchema = Type.Object({
  objective: Type.Object({ availability: Type.Number(), latencyMs: Type.Number(), latencyPercent: Type.Number() }),
  sends: Type.Number(),
  failed: Type.Number({ description: 'Timeouts, unavailability and 5xx: what the vendor answers for' }),
  failedByClass: Failures,
  availability: MaybeNumber,
  met: Type.Boolean(),
  errorBudget: Type.Object({ allowed: Type.Number(), used: Type.Number(), left: Type.Number(), leftShare: MaybeNumber }),
  downtimeMinutes: Type.Number({ description: "Each hour's failed share of its sends, in minutes" }),
  latency: Type.Object({ slow: Type.Number(), withinShare: MaybeNumber, met: Type.Boolean() }),
  worstHours: Type.Array(Type.Object({ hour: Type.Number({ description: 'Hours since the epoch (UTC)' }), sends: Type.Number(), failed: Type.Number(), failedShare: Type.Number() })),
});

const SideUsageSchema = Type.Object({
  messages: Type.Number({ description: 'Messages the side took this month (primary and secondary writes), fleet-wide' }),
  units: Type.Number({ description: 'The same in the side\'s billing unit (price.unit; `message` without a price table), with what imports published where they publish' }),
  bytes: Type.Number({ description: 'History storage written by sends and imports: payloads and envelopes, estimated' }),
  imported: Type.Object({ messages: Type.Number(), bytes: Type.Number(), units: Type.Number() }, { description: 'What the migration job imported (also in units and bytes)' }),
  activeUsers: Type.Object({ today: Type.Number(), month: Type.Number() }, { description: 'Distinct senders and 1:1 recipients, HyperLogLog (about 0.8 % error) with Redis' }),
  peakConcurrentUsers: Type.Object({ users: Type.Number(), hour: Type.Union([Type.String(), Type.Null()]) }, {
    description: 'The month\'s most users seen online in one minute and the hour it was in: a lower bound (docs/cost.md)',
  }),
  unitsPerHour: Type.Number({ description: 'The current rate: the last 6 hours\' average' }),
  price: Type.Union([PriceSchema, Type.Null()]),
  sla: Type.Union([SlaSchema, Type.Null()], { description: 'This month against sla.<side>; null without one' }),
  projection: Type.Union([Type.Null(), Type.Object({
    monthToDate: BillSchema,
    monthEnd: BillSchema,
    overBudget: Type.Boolean(),
    steps: Type.Array(Type.Object({ percent: Type.Number(), dualWriting: Type.Boolean(), bill: BillSchema }), { description: 'The month-end bill had the plan stood at each percent on new all month' }),
  })]),
});

export const UsageReportSchema = Type.Object({ month: Type.String(), at: Type.String(), sides: Type.Object({ old: SideUsageSchema, new: SideUsageSchema }) });

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { usage, auth } = app.services;
  app.get('/admin/usage', {
    schema: {
      summary: 'What each side was given this month, in its billing unit, and the projected bill (docs/cost.md)',
      tags: ['admin'], security: [{ bearer: [] }],
      response: { 200: UsageReportSchema, ...errorReplies(401, 403, 503) },
    },
    preHandler: auth.require('viewer'),
  }, async () => usage.report());
};

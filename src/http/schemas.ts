import { Type, type Static } from '@sinclair/typebox';

/**
 * User and channel ids end up in the path of a side's API and in vendor channel names: no
 * whitespace, slash, backslash or control character, and never only dots, which a path reads as
 * `.` or `..` (a step out of the place the id was meant to name).
 */
const NAME_PATTERN = '^(?!\\.+$)[^\\s/\\\\\\u0000-\\u001f\\u007f-\\u009f]+$';
/** Message ids become Redis key parts, vendor dedupe keys and path segments: a safe alphabet, not only dots. */
const MESSAGE_ID_PATTERN = '^(?!\\.+$)[A-Za-z0-9_.:-]+$';
/** What each id pattern asks for, so a 400 says it in words rather than as a regular expression. */
export const PATTERN_RULES: ReadonlyMap<string, string> = new Map([
  [NAME_PATTERN, 'must not hold whitespace, a slash, a backslash or a control character, nor be only dots'],
  [MESSAGE_ID_PATTERN, 'must be letters, digits and _ . : - only, and not only dots'],
]);

export const UserId = Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERN, description: 'A user id' });
export const ChannelId = Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERN, description: 'A channel id' });
export const MessageId = Type.String({ minLength: 1, maxLength: 128, pattern: MESSAGE_ID_PATTERN, description: 'Idempotency key (the message id)' });
export const SideName = Type.Union([Type.Literal('old'), Type.Literal('new')]);
/**
 * Sides in replies on the hot path: a plain string enum, not a union. fast-json-stringify
 * serializes an `anyOf` by validating each branch at run time, microseconds per reply.
 */
const SideOut = Type.Unsafe<'old' | 'new'>({ type: 'string', enum: ['old', 'new'] });
const SideOrNullOut = Type.Unsafe<'old' | 'new' | null>({ type: ['string', 'null'], enum: ['old', 'new', null] });
export const StageName = Type.Union([Type.Literal('off'), Type.Literal('shadow'), Type.Literal('canary'), Type.Literal('complete')]);

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code' }),
      message: Type.String({ description: 'What went wrong and what to do next' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
);

export const SendBody = Type.Object(
  {
    id: Type.Optional(MessageId),
    from: UserId,
    to: Type.Union([
      Type.Object({ type: Type.Literal('user'), id: UserId }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('channel'), id: ChannelId }, { additionalProperties: false }),
    ]),
    payload: Type.String({ description: 'Message content; applications JSON-encode structured content' }),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', description: "Application message type (Agora's customType)" })),
  },
  { additionalProperties: false },
);
export type SendBodyType = Static<typeof SendBody>;

export const Receipt = Type.Object({
  id: Type.String(),
  primary: SideOut,
  secondary: SideOrNullOut,
  stateVersion: Type.Integer(),
  acceptedAt: Type.Integer({ description: 'ms since the epoch' }),
  duplicate: Type.Boolean({ description: 'True when this id was accepted before; this repeats the first reply' }),
  pending: Type.Boolean({
    description: 'True (HTTP 202) when the primary answered ambiguously: the message is in the outbox and recovery writes it to both sides; ' +
      'retry with the same id for the receipt (409 MESSAGE_IN_FLIGHT until then)',
  }),
});

export const RouteInfo = Type.Object({
  userId: Type.String(),
  cohort: SideName,
  primary: SideName,
  secondary: Type.Union([SideName, Type.Null()]),
  stage: StageName,
  percent: Type.Number(),
  bucket: Type.Integer({ minimum: 1, maximum: 10000 }),
  eligible: Type.Boolean({ description: 'Eligible by the flag and, with migrate.requireVerified, verified' }),
  rolledBack: Type.Boolean(),
  version: Type.Integer(),
  verified: Type.Union([Type.Boolean(), Type.Null()], { description: "Whether the user's existing data was verified on new; null when migrate.requireVerified is off" }),
  heldBack: Type.Union([
    Type.Object({ code: Type.Literal('NOT_VERIFIED'), message: Type.String() }),
    Type.Null(),
  ], { description: 'Why a user the flag and percent would move to new stays on old' }),
  send: Type.Optional(Type.Object({
    as: Type.String({ description: 'The sending user (the `as` query)' }),
    side: SideName,
    via: Type.Union([Type.Literal('sdk'), Type.Literal('backend')], { description: 'sdk: send through the side the sender is on; backend: through POST /v1/messages' }),
    reason: Type.String(),
  }, { description: 'With ?as=<sender>: how that user\'s app sends to this user so the message arrives (docs/bridge.md)' })),
});

export const StoredMessage = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('channel')]), id: Type.String() }),
  payload: Type.String(),
  kind: Type.Optional(Type.String()),
  sentAt: Type.Integer(),
});

export const HistoryQuery = Type.Object(
  {
    as: Type.Optional(UserId),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before: Type.Optional(Type.Integer({ minimum: 0, description: 'Only messages sent before this time (ms since the epoch)' })),
  },
  { additionalProperties: false },
);

export const HistoryPage = Type.Object({
  messages: Type.Array(StoredMessage),
  servedBy: SideName,
  degraded: Type.Boolean(),
});

/** A standard set of error replies for a route's schema (OpenAPI documents them). */
export function errorReplies(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

export const ResumePointSchema = Type.Object({ stage: StageName, percent: Type.Number() });

export const RollbackSchema = Type.Object({
  trigger: Type.Union([Type.Literal('manual'), Type.Literal('auto')]),
  actor: Type.String(),
  reason: Type.String(),
  at: Type.String(),
  resumeTo: ResumePointSchema,
});

export const RolloutStateSchema = Type.Object({
  migration: Type.String(),
  generation: Type.String({ description: 'Set when the record was created; a new one means the record was created anew (the store lost it)' }),
  version: Type.Integer(),
  stage: StageName,
  percent: Type.Number(),
  rollback: Type.Union([RollbackSchema, Type.Null()]),
  since: Type.String({ description: 'When stage or percent last changed (bake timer start)' }),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});

export const ChangeReply = Type.Object({
  state: RolloutStateSchema,
  changed: Type.Boolean({ description: 'False when the state already was so (idempotent no-op)' }),
  note: Type.Optional(Type.String()),
  replication: Type.Optional(Type.Object(
    { replicas: Type.Integer(), acked: Type.Integer() },
    { description: 'Redis replicas connected when the change was written, and how many had it when it was answered' },
  )),
});

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  role: Type.String(),
  action: Type.String(),
  reason: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  before: Type.Union([RolloutStateSchema, Type.Null()]),
  after: RolloutStateSchema,
});

const SideCounts = Type.Object({ old: Type.Integer(), new: Type.Integer() });

export const OutboxCountsSchema = Type.Object({
  owed: SideCounts,
  retrying: SideCounts,
  deadLettered: SideCounts,
  unconfirmed: Type.Integer(),
  waitingCommits: Type.Integer({ description: 'Commits the answering instance holds because Redis did not take them yet' }),
});

export const DeadLetterSchema = Type.Object({
  ref: Type.String(),
  side: SideName,
  kind: Type.Union([Type.Literal('secondary'), Type.Literal('recovery')], {
    description: 'secondary: a write to this side after its primary; recovery: this side was the primary and never confirmed it (a redrive writes it, then the secondary)',
  }),
  record: Type.Unknown(),
  attempts: Type.Integer(),
  reason: Type.String(),
  at: Type.Integer(),
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OutboundMessage } from '../domain/message.js';
import type { ImportedRecords } from './legacy-im-imports.js';
import type { LegacyImReadModel } from './legacy-im-read-model.js';
import type { LegacyImStore } from './legacy-im-store.js';

/**
 * The write side for moving users onto this server (docs/legacy-rest-contract.md, "Import"):
 * messages kept with their ids and times, users' data, groups and members. Every write is
 * idempotent, so a client retries any of them. Registered inside the contract routes, so auth and
 * faults apply.
 */
export interface ImportRouteDeps {
  store: LegacyImStore;
  model: LegacyImReadModel;
  imports: ImportedRecords;
  /** The sim's run-time state: the write faults it reads and the counters it adds to. */
  state: ImportState;
  random: () => number;
}

export interface ImportState {
  faults: { errorRate: number; failAfterStore: boolean; status: number; replyDelayMs: number };
  imported: number;
  importDuplicates: number;
  failuresInjected: number;
}

/** 1000 messages of the generated past's size fit well; a message PUT keeps fastify's 1 MiB. */
export const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;
const MAX_BATCH = 1000;

const Id = Type.String({ minLength: 1, maxLength: 256 });
const IdParams = Type.Object({ id: Id });
const Time = Type.Integer({ minimum: 0 });
/** A type list, not a union: fastify's ajv coerces types, and would turn null into 0 trying the integer branch first. */
const NullableTime = Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0 });
const PeerType = Type.Union([Type.Literal('user'), Type.Literal('channel')]);
const StringMap = Type.Record(Type.String(), Type.String());
const Batch = { minItems: 1, maxItems: MAX_BATCH };

const Message = Type.Object(
  {
    id: Id,
    from: Id,
    to: Type.Object({ type: PeerType, id: Id }),
    payload: Type.String({ maxLength: 65_536 }),
    kind: Type.Optional(Type.String({ maxLength: 64 })),
    sentAt: Time,
  },
  { additionalProperties: false },
);
const ImportMessagesBody = Type.Object({ messages: Type.Array(Message, Batch) }, { additionalProperties: false });

const UserDataBody = Type.Object(
  {
    profile: Type.Object(
      { id: Id, displayName: Type.String(), avatarUrl: Type.Optional(Type.String()), createdAt: Time, profile: StringMap },
      { additionalProperties: false },
    ),
    contacts: Type.Array(
      Type.Object(
        { userId: Id, state: Type.Union([Type.Literal('accepted'), Type.Literal('pending_in'), Type.Literal('pending_out')]), since: Time },
        { additionalProperties: false },
      ),
    ),
    blocklist: Type.Array(Type.Object({ userId: Id, since: Time }, { additionalProperties: false })),
    settings: Type.Object(
      {
        userId: Id,
        notificationLevel: Type.Union([Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')]),
        mutes: Type.Array(Type.Object({ type: PeerType, id: Id, until: NullableTime }, { additionalProperties: false })),
        custom: StringMap,
      },
      { additionalProperties: false },
    ),
    readPositions: Type.Array(
      Type.Object({ type: PeerType, id: Id, lastReadMessageId: Id, readAt: Time }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

const GroupBody = Type.Object(
  {
    id: Id,
    name: Type.String(),
    topic: Type.Optional(Type.String()),
    visibility: Type.Union([Type.Literal('public'), Type.Literal('private')]),
    createdAt: Time,
    memberCount: Type.Integer({ minimum: 0 }),
    ownerId: Id,
  },
  { additionalProperties: false },
);
const Member = Type.Object(
  { userId: Id, role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]), joinedAt: Time },
  { additionalProperties: false },
);
const MembersBody = Type.Object({ members: Type.Array(Member, Batch) }, { additionalProperties: false });
const RemoveBody = Type.Object({ userIds: Type.Array(Id, Batch) }, { additionalProperties: false });

const ErrorReply = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
const Put = Type.Object({ id: Type.String(), created: Type.Boolean() });
const errors = { '4xx': ErrorReply, '5xx': ErrorReply };

export const importRoutes: FastifyPluginAsyncTypebox<ImportRouteDeps> = async (app, { store, model, imports, state, random }) => {
  /**
   * Applies a write under the sim's write faults, as a message PUT: a share fails before it is
   * applied, or (failAfterStore) after, which is the ambiguous case a client must retry safely.
   */
  async function write<T>(reply: FastifyReply, apply: () => T): Promise<T | FastifyReply> {
    const { errorRate, failAfterStore, status, replyDelayMs } = state.faults;
    const inject = errorRate > 0 && random() < errorRate;
    if (inject && !failAfterStore) return injected(reply, status);
    const result = apply();
    if (replyDelayMs > 0) await sleep(replyDelayMs);
    return inject ? injected(reply, status) : result;
  }

  function injected(reply: FastifyReply, status: number): FastifyReply {
    state.failuresInjected++;
    return reply.code(status).send({ error: { code: 'injected', message: `injected failure (HTTP ${status})` } });
  }

  app.post(
    '/v1/import/messages',
    { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: ImportMessagesBody, response: { 200: Type.Object({ created: Type.Integer(), existing: Type.Integer() }), ...errors } } },
    async (request, reply) =>
      // The whole batch passed the schema before anything is stored: a bad item stores none of it.
      write(reply, () => {
        let created = 0;
        for (const item of request.body.messages) {
          const message: OutboundMessage = { id: item.id, from: item.from, to: { type: item.to.type, id: item.to.id }, payload: item.payload, sentAt: item.sentAt };
          if (item.kind !== undefined) message.kind = item.kind;
          if (!model.isGenerated(item.id) && store.add(message)) created++;
        }
        const existing = request.body.messages.length - created;
        state.imported += created;
        state.importDuplicates += existing;
        return { created, existing };
      }),
  );

  // A read, answered whatever the write faults: which of these ids this server holds already.
  app.post(
    '/v1/import/messages/held',
    { schema: { body: Type.Object({ ids: Type.Array(Id, Batch) }, { additionalProperties: false }), response: { 200: Type.Object({ held: Type.Array(Type.String()) }), ...errors } } },
    async (request) => ({ held: request.body.ids.filter((id) => model.isGenerated(id) || store.has(id)) }),
  );

  app.put(
    '/v1/import/users/:id',
    { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: UserDataBody, response: { 200: Put, ...errors } } },
    async (request, reply) => {
      const { id } = request.params;
      const data = request.body;
      if (data.profile.id !== id || data.settings.userId !== id) {
        return reply.code(422).send({ error: { code: 'id_mismatch', message: `profile.id and settings.userId must equal the path id ${id}` } });
      }
      return write(reply, () => {
        const known = imports.user(id) !== undefined || model.dataset.userIndex(id) !== undefined;
        imports.putUser(data);
        return { id, created: !known };
      });
    },
  );

  app.put(
    '/v1/groups/:id',
    { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: GroupBody, response: { 200: Put, ...errors } } },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.id !== id) return reply.code(422).send({ error: { code: 'id_mismatch', message: `body id ${request.body.id} differs from path id ${id}` } });
      return write(reply, () => {
        const known = imports.group(id) !== undefined || model.dataset.groupIndex(id) !== undefined;
        imports.putGroup(request.body);
        return { id, created: !known };
      });
    },
  );

  app.post(
    '/v1/groups/:id/members',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: { params: IdParams, body: MembersBody, response: { 200: Type.Object({ id: Type.String(), created: Type.Integer(), updated: Type.Integer() }), ...errors } },
    },
    async (request, reply) => {
      const { id } = request.params;
      model.group(id); // 404 for a group this server does not know
      return write(reply, () => ({ id, ...imports.upsertMembers(id, request.body.members) }));
    },
  );

  app.post(
    '/v1/groups/:id/members/remove',
    { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: RemoveBody, response: { 200: Type.Object({ id: Type.String(), removed: Type.Integer() }), ...errors } } },
    async (request, reply) => {
      const { id } = request.params;
      model.group(id);
      return write(reply, () => ({ id, removed: imports.removeMembers(id, request.body.userIds) }));
    },
  );
};

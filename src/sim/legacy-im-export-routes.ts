import { Type, type FastifyPluginAsyncTypebox, type TSchema } from '@fastify/type-provider-typebox';
import type { LegacyImReadModel } from './legacy-im-read-model.js';

/**
 * The read side of the legacy contract (docs/legacy-rest-contract.md, "Export"): users, their
 * conversations, contacts, blocklist, read positions and settings, groups and their members, and
 * every conversation once. Registered inside the contract routes, so auth and faults apply.
 */
export interface ExportRouteDeps {
  model: LegacyImReadModel;
}

export const MAX_PAGE = 1000;

const Id = Type.String({ minLength: 1, maxLength: 256 });
const IdParams = Type.Object({ id: Id });
const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
});
/** `string | null` as a plain type list: fast-json-stringify serialises an anyOf by validating each branch. */
const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const NullableInteger = Type.Unsafe<number | null>({ type: ['integer', 'null'] });
const PeerType = Type.Unsafe<'user' | 'channel'>({ type: 'string', enum: ['user', 'channel'] });
const StringMap = Type.Record(Type.String(), Type.String());

function page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next: NullableString });
}

const User = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  avatarUrl: Type.Optional(Type.String()),
  createdAt: Type.Integer(),
  profile: StringMap,
});
const UserConversation = Type.Object({ type: PeerType, id: Type.String(), messageCount: Type.Integer(), lastActivityAt: Type.Integer() });
const Contact = Type.Object({
  userId: Type.String(),
  state: Type.Unsafe<'accepted' | 'pending_in' | 'pending_out'>({ type: 'string', enum: ['accepted', 'pending_in', 'pending_out'] }),
  since: Type.Integer(),
});
const Block = Type.Object({ userId: Type.String(), since: Type.Integer() });
const ReadPosition = Type.Object({ type: PeerType, id: Type.String(), lastReadMessageId: Type.String(), readAt: Type.Integer() });
const Settings = Type.Object({
  userId: Type.String(),
  notificationLevel: Type.Unsafe<'all' | 'mentions' | 'none'>({ type: 'string', enum: ['all', 'mentions', 'none'] }),
  mutes: Type.Array(Type.Object({ type: PeerType, id: Type.String(), until: NullableInteger })),
  custom: StringMap,
});
const Group = Type.Object({
  id: Type.String(),
  name: Type.String(),
  topic: Type.Optional(Type.String()),
  visibility: Type.Unsafe<'public' | 'private'>({ type: 'string', enum: ['public', 'private'] }),
  createdAt: Type.Integer(),
  memberCount: Type.Integer(),
  ownerId: Type.String(),
});
const Member = Type.Object({
  userId: Type.String(),
  role: Type.Unsafe<'owner' | 'admin' | 'member'>({ type: 'string', enum: ['owner', 'admin', 'member'] }),
  joinedAt: Type.Integer(),
});
/** A user conversation carries a and b, a channel carries id (one flat shape: no anyOf to serialise). */
const Conversation = Type.Object({
  type: PeerType,
  a: Type.Optional(Type.String()),
  b: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  messageCount: Type.Integer(),
  lastActivityAt: Type.Integer(),
});

export const exportRoutes: FastifyPluginAsyncTypebox<ExportRouteDeps> = async (app, { model }) => {
  const list = <T extends TSchema>(item: T) => ({ querystring: ListQuery, response: { 200: page(item) } });
  const byId = <T extends TSchema>(item: T) => ({ params: IdParams, response: { 200: item } });
  const listById = <T extends TSchema>(item: T) => ({ params: IdParams, querystring: ListQuery, response: { 200: page(item) } });

  app.get('/v1/users', { schema: list(User) }, async (request) => model.users(request.query.after, request.query.limit));
  app.get('/v1/users/:id', { schema: byId(User) }, async (request) => model.user(request.params.id));
  app.get('/v1/users/:id/conversations', { schema: listById(UserConversation) }, async (request) =>
    model.userConversations(request.params.id, request.query.after, request.query.limit),
  );
  app.get('/v1/users/:id/contacts', { schema: listById(Contact) }, async (request) =>
    model.contacts(request.params.id, request.query.after, request.query.limit),
  );
  app.get('/v1/users/:id/blocklist', { schema: listById(Block) }, async (request) =>
    model.blocklist(request.params.id, request.query.after, request.query.limit),
  );
  app.get('/v1/users/:id/read-positions', { schema: listById(ReadPosition) }, async (request) =>
    model.readPositions(request.params.id, request.query.after, request.query.limit),
  );
  app.get('/v1/users/:id/settings', { schema: byId(Settings) }, async (request) => model.settings(request.params.id));

  app.get('/v1/groups', { schema: list(Group) }, async (request) => model.groups(request.query.after, request.query.limit));
  app.get('/v1/groups/:id', { schema: byId(Group) }, async (request) => model.group(request.params.id));
  app.get('/v1/groups/:id/members', { schema: listById(Member) }, async (request) =>
    model.members(request.params.id, request.query.after, request.query.limit),
  );

  app.get('/v1/conversations', { schema: list(Conversation) }, async (request) => model.conversations(request.query.after, request.query.limit));
};

import { randomUUID } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { OutboundMessage } from '../domain/message.js';
import type { LegacyImReadModel } from './legacy-im-read-model.js';
import { ErrorReply, Id, Kind, Payload, PeerSchema } from './legacy-im-schemas.js';
import type { LegacyImStore } from './legacy-im-store.js';

/**
 * What a client app sends straight through the incumbent's SDK ("as Alice's app"): stored as a
 * message PUT would store it, and announced by the after-send webhook. Registered inside the
 * contract routes, so auth and the `down`/`latencyMs` faults apply.
 */
export interface ClientRouteDeps {
  store: LegacyImStore;
  model: LegacyImReadModel;
  state: ClientSendState;
  /** Told of every message a client send stored, and of nothing else. */
  afterSend: { enqueue(message: OutboundMessage): void };
}

export interface ClientSendState {
  clientSends: number;
  duplicatesSuppressed: number;
}

export const CLIENT_SEND = '/v1/client/messages';

export const ClientSendBody = Type.Object(
  {
    /** Optional: a client that retries its send passes the id it used the first time. */
    id: Type.Optional(Id),
    from: Id,
    to: PeerSchema,
    payload: Payload,
    kind: Type.Optional(Kind),
  },
  { additionalProperties: false },
);
export type ClientSend = Static<typeof ClientSendBody>;

const ClientSendReply = Type.Object({ id: Type.String(), created: Type.Boolean(), sentAt: Type.Integer() });
export type ClientSendReply = Static<typeof ClientSendReply>;

export const clientRoutes: FastifyPluginAsyncTypebox<ClientRouteDeps> = async (app, { store, model, state, afterSend }) => {
  app.post(
    CLIENT_SEND,
    { schema: { body: ClientSendBody, response: { 200: ClientSendReply, 201: ClientSendReply, '4xx': ErrorReply, '5xx': ErrorReply } } },
    async (request, reply) => {
      const body = request.body;
      const id = body.id ?? `c-${randomUUID()}`;
      // The first copy wins, as for a PUT: a repeated send answers the time the held one was sent at.
      const heldSentAt = model.heldSentAt(id);
      if (heldSentAt !== undefined) {
        state.duplicatesSuppressed++;
        return reply.code(200).send({ id, created: false, sentAt: heldSentAt });
      }
      const message: OutboundMessage = { id, from: body.from, to: { type: body.to.type, id: body.to.id }, payload: body.payload, sentAt: Date.now() };
      if (body.kind !== undefined) message.kind = body.kind;
      store.add(message);
      state.clientSends++;
      afterSend.enqueue(message);
      return reply.code(201).send({ id, created: true, sentAt: message.sentAt });
    },
  );
};

import { Type, type Static } from '@fastify/type-provider-typebox';

/** Schema pieces of the message object (docs/legacy-rest-contract.md, "The message object"), shared by the routes that take one. */
export const Id = Type.String({ minLength: 1, maxLength: 256 });
export const PeerSchema = Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('channel')]), id: Id });
export const Payload = Type.String({ maxLength: 65_536 });
export const Kind = Type.String({ maxLength: 64 });
export const SentAt = Type.Integer({ minimum: 0 });

export const ErrorReply = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });

export function errorBody(code: string, message: string): Static<typeof ErrorReply> {
  return { error: { code, message } };
}

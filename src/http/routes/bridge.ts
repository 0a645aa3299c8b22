import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BadSignatureError, CutoverError, InvalidEventError, MissingSignatureError, NotFoundError, StaleTimestampError, UnprocessableError, WebhookReplayedError,
} from '../../domain/errors.js';
import { checkWebhookSignature, type SignatureProblem } from '../../domain/bridge/webhook-signature.js';
import type { OutboundMessage, Side } from '../../domain/message.js';
import { ChannelId, MessageId, SideName, UserId, errorReplies } from '../schemas.js';

/** A signed `message.sent` event, as the legacy contract's webhook sends it (docs/legacy-rest-contract.md). */
const MessageSentEvent = Type.Object({
  type: Type.Literal('message.sent'),
  eventId: Type.Optional(Type.String({ maxLength: 128 })),
  message: Type.Object({
    id: MessageId,
    from: UserId,
    to: Type.Union([
      Type.Object({ type: Type.Literal('user'), id: UserId }),
      Type.Object({ type: Type.Literal('channel'), id: ChannelId }),
    ]),
    payload: Type.String(),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' })),
    sentAt: Type.Integer({ minimum: 0 }),
  }),
});
const checkEvent = TypeCompiler.Compile(MessageSentEvent);

const BridgeReply = Type.Object({
  id: Type.String(),
  from: SideName,
  to: Type.Union([SideName, Type.Null()], { description: 'The side it is written to; null when it need not cross' }),
  duplicate: Type.Boolean({ description: 'Its id was taken before: nothing is written twice' }),
});

const SIGNATURE_ERRORS: Record<SignatureProblem, new (message: string) => CutoverError> = {
  MISSING_SIGNATURE: MissingSignatureError, BAD_SIGNATURE: BadSignatureError, STALE_TIMESTAMP: StaleTimestampError,
};

/**
 * The after-send webhooks of both sides. The signature is checked over the raw body before
 * anything in it is trusted, then the replay window; only then is the event read. The body is
 * kept as a string in this plugin only (its own JSON parser), so other routes parse as usual.
 */
export const bridgeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { bridge, replayGuard, config, metrics: bridgeTelemetry } = app.services;
  const { secrets, replayWindowMs } = config.bridge;
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1_048_576 }, (_request, body, done) => done(null, body));

  app.post('/v1/bridge/:side/events', {
    schema: {
      summary: "A side's after-send webhook: a message a client sent through that side's SDK, to write to the other side",
      description: 'Signed: x-im-timestamp (ms) and x-im-signature (v1=hex HMAC-SHA256 of "timestamp.body" with bridge.<side>.secret). ' +
        '201 when it crosses, 200 when its id was taken before or it need not cross. Every refusal writes nothing.',
      tags: ['messages'],
      params: Type.Object({ side: SideName }),
      response: { 200: BridgeReply, 201: BridgeReply, ...errorReplies(400, 401, 404, 409, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const side: Side = request.params.side;
    const secret = secrets[side];
    const refuse = (reason: string, err: Error): never => {
      bridgeTelemetry.bridgeRejected(side, reason);
      throw err;
    };
    if (!secret) refuse('not_configured', new NotFoundError(`no webhook intake for the ${side} side: set bridge.${side}.secret (CUTOVER_BRIDGE_${side.toUpperCase()}_SECRET)`));
    const body = request.body as string;
    const signature = header(request.headers['x-im-signature']);
    const check = checkWebhookSignature({ secret: secret!, timestamp: header(request.headers['x-im-timestamp']), signature, body, now: Date.now(), windowMs: replayWindowMs });
    if (!check.ok) refuse(check.problem.toLowerCase(), new SIGNATURE_ERRORS[check.problem](check.message));
    const claim = `${side}:${signature}`;
    // A signature stays valid while its timestamp is within the window either way: twice the window.
    if (!(await replayGuard.claim(claim, 2 * replayWindowMs))) {
      refuse('replayed', new WebhookReplayedError('this signed event was taken already (same timestamp and signature): a sender signs each attempt anew'));
    }
    try {
      const message = readEvent(body, config.messages.maxPayloadBytes);
      const receipt = await bridge.accept(side, message);
      return await reply.code(receipt.to !== null && !receipt.duplicate ? 201 : 200).send(receipt);
    } catch (err) {
      // Not taken: the same signed event may come again (a 503 is retried by the sender).
      await replayGuard.release(claim).catch(() => undefined);
      if (err instanceof CutoverError && err.statusCode < 500) bridgeTelemetry.bridgeRejected(side, err.code.toLowerCase());
      throw err;
    }
  });
};

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readEvent(body: string, maxPayloadBytes: number): OutboundMessage {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new InvalidEventError('the event is not valid JSON');
  }
  if (!checkEvent.Check(event)) {
    const first = checkEvent.Errors(event).First();
    throw new InvalidEventError(`not a message.sent event: ${first ? `${first.path || '(root)'} ${first.message}` : 'malformed'}`);
  }
  const { message } = event;
  if (Buffer.byteLength(message.payload) > maxPayloadBytes) {
    throw new UnprocessableError(`payload is ${Buffer.byteLength(message.payload)} bytes; at most ${maxPayloadBytes} (messages.maxPayloadBytes)`, { details: { maxPayloadBytes } });
  }
  const out: OutboundMessage = { id: message.id, from: message.from, to: message.to, payload: message.payload, sentAt: message.sentAt };
  if (message.kind !== undefined) out.kind = message.kind;
  return out;
}

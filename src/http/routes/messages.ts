import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnprocessableError } from '../../domain/errors.js';
import { Receipt, SendBody, errorReplies } from '../schemas.js';

export const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sendMessage, config } = app.services;
  const maxPayloadBytes = config.messages.maxPayloadBytes;
  // A log line per send costs ~2 µs; on when asked (http.logRequests), off on the hot path by default.
  const logSends = config.http.logRequests;

  app.post('/v1/messages', {
    schema: {
      summary: 'Send a message; replies once the primary side accepted it',
      description: 'Written to the write-ahead outbox, then the primary; the secondary follows from the outbox. ' +
        'Send an `id` to make retries safe: the same id and content replies with the first receipt.',
      tags: ['messages'],
      body: SendBody,
      response: { 200: Receipt, 201: Receipt, ...errorReplies(400, 409, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const body = request.body;
    if (Buffer.byteLength(body.payload) > maxPayloadBytes) {
      throw new UnprocessableError(`payload is ${Buffer.byteLength(body.payload)} bytes; at most ${maxPayloadBytes} (messages.maxPayloadBytes)`, { details: { maxPayloadBytes } });
    }
    const outcome = await sendMessage.send(body);
    if (logSends) {
      request.log.info({ messageId: outcome.id, primary: outcome.primary, secondary: outcome.secondary, stateVersion: outcome.stateVersion, duplicate: outcome.duplicate }, 'message accepted');
    }
    return reply.code(outcome.duplicate ? 200 : 201).send(outcome);
  });
};

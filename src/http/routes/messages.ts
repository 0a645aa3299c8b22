import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnprocessableError } from '../../domain/errors.js';
import { Receipt, SendBody, errorReplies } from '../schemas.js';

export const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sendMessage, config, auth } = app.services;
  const maxPayloadBytes = config.messages.maxPayloadBytes;
  // A log line per send costs ~2 µs; on when asked (http.logRequests), off on the hot path by default.
  const logSends = config.http.logRequests;

  app.post('/v1/messages', {
    config: { echoMessageId: true },
    schema: {
      summary: 'Send a message; replies once the primary side accepted it',
      description: 'Written to the write-ahead outbox, then the primary; the secondary follows from the outbox. ' +
        'Send an `id` to make retries safe: the same id and content replies with the first receipt. ' +
        '202 (`pending: true`): the primary answered ambiguously; recovery writes the message to both sides. ' +
        'Every error names the message id in `error.details.messageId` once one exists (yours, or the one generated for you).',
      tags: ['messages'], security: [{ bearer: [] }],
      body: SendBody,
      response: { 200: Receipt, 201: Receipt, 202: Receipt, ...errorReplies(400, 401, 403, 409, 413, 415, 422, 503) },
    },
    preHandler: auth.api(),
  }, async (request, reply) => {
    const body = request.body;
    if (Buffer.byteLength(body.payload) > maxPayloadBytes) {
      throw new UnprocessableError(`payload is ${Buffer.byteLength(body.payload)} bytes; at most ${maxPayloadBytes} (messages.maxPayloadBytes)`, { details: { maxPayloadBytes } });
    }
    const outcome = await sendMessage.send(body);
    if (logSends) {
      request.log.info({ messageId: outcome.id, primary: outcome.primary, secondary: outcome.secondary, stateVersion: outcome.stateVersion, duplicate: outcome.duplicate }, 'message accepted');
    }
    return reply.code(outcome.duplicate ? 200 : outcome.pending ? 202 : 201).send(outcome);
  });
};

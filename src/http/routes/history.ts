import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChannelId, HistoryPage, HistoryQuery, UserId, errorReplies } from '../schemas.js';

export const historyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { readHistory, auth } = app.services;
  const response = { 200: HistoryPage, ...errorReplies(400, 401, 403, 422, 503) };
  const preHandler = auth.api();

  app.get('/v1/conversations/user/:a/:b/messages', {
    schema: {
      summary: 'Messages between two users, oldest first, from the reader\'s primary side',
      description: '`as` is the reader (default: `a`); history comes from their primary side.',
      tags: ['history'], security: [{ bearer: [] }],
      params: Type.Object({ a: UserId, b: UserId }),
      querystring: HistoryQuery,
      response,
    },
    preHandler,
  }, async (request) => {
    const { a, b } = request.params;
    const { as = a, limit, before } = request.query;
    return readHistory.read({ conversation: { type: 'user', a, b }, as, limit, before });
  });

  app.get('/v1/conversations/channel/:id/messages', {
    schema: {
      summary: "A channel's messages, oldest first, from the reader's primary side",
      tags: ['history'], security: [{ bearer: [] }],
      params: Type.Object({ id: ChannelId }),
      querystring: Type.Composite([HistoryQuery, Type.Object({ as: UserId })], { additionalProperties: false }),
      response,
    },
    preHandler,
  }, async (request) => {
    const { as, limit, before } = request.query;
    return readHistory.read({ conversation: { type: 'channel', id: request.params.id }, as, limit, before });
  });
};

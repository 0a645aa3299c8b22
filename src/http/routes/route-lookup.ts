import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { RouteInfo, UserId, errorReplies } from '../schemas.js';

export const routeLookupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { router, auth } = app.services;

  app.get('/v1/route/:userId', {
    schema: {
      summary: "Which side a user's client app logs into (the same decision sends use)",
      tags: ['routing'], security: [{ bearer: [] }],
      params: Type.Object({ userId: UserId }),
      response: { 200: RouteInfo, ...errorReplies(400, 401, 403, 503) },
    },
    preHandler: auth.api(),
  }, async (request) => {
    const { userId } = request.params;
    const route = router.route({ type: 'user', id: userId });
    const { state } = route;
    return {
      userId, cohort: route.cohort, primary: route.primary, secondary: route.secondary, stage: state.stage,
      percent: state.percent, bucket: route.bucket, eligible: route.eligible, rolledBack: state.rollback !== null, version: state.version,
    };
  });
};

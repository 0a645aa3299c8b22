import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sendPath } from '../../domain/bridge/send-path.js';
import { isDualWriting } from '../../domain/rollout-state.js';
import { cohortOf } from '../../domain/route.js';
import { RouteInfo, UserId, errorReplies } from '../schemas.js';

export const routeLookupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { router, auth, config } = app.services;

  app.get('/v1/route/:userId', {
    schema: {
      summary: "Which side a user's client app logs into (the same decision sends use)",
      tags: ['routing'], security: [{ bearer: [] }],
      description: 'With `as`, also how that sender\'s app sends to this user so the message arrives (`send`).',
      params: Type.Object({ userId: UserId }),
      querystring: Type.Object({ as: Type.Optional(UserId) }, { additionalProperties: false }),
      response: { 200: RouteInfo, ...errorReplies(400, 401, 403, 503) },
    },
    preHandler: auth.api(),
  }, async (request) => {
    const { userId } = request.params;
    const route = router.route({ type: 'user', id: userId });
    const { state } = route;
    // Held back: the flag and the percent would move this user, but their data is not verified on new.
    const wouldMove = route.verified === false && cohortOf(state, route.bucket, router.flagEligible({ type: 'user', id: userId })) === 'new';
    const sender = request.query.as;
    const senderSide = sender === undefined ? undefined : router.route({ type: 'user', id: sender }, state).cohort;
    return {
      userId, cohort: route.cohort, primary: route.primary, secondary: route.secondary, stage: state.stage,
      percent: state.percent, bucket: route.bucket, eligible: route.eligible, rolledBack: state.rollback !== null, version: state.version,
      verified: route.verified,
      heldBack: wouldMove
        ? { code: 'NOT_VERIFIED' as const, message: "on old until their existing data is verified on new (migrate.requireVerified): cutover migrate verify marks them once everything of theirs matches" }
        : null,
      ...(sender !== undefined && senderSide !== undefined && {
        send: {
          as: sender, side: senderSide,
          ...sendPath({ senderSide, peerSide: route.cohort, dualWriting: isDualWriting(state), senderSideBridged: config.bridge.secrets[senderSide] !== undefined }),
        },
      }),
    };
  });
};

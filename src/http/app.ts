import swagger from '@fastify/swagger';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from './app-services.js';
import { installErrorHandler } from './error-handler.js';
import { adminRoutes } from './routes/admin.js';
import { bridgeRoutes } from './routes/bridge.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { messageRoutes } from './routes/messages.js';
import { migrationRoutes } from './routes/migration.js';
import { routeLookupRoutes } from './routes/route-lookup.js';
import { statusRoutes } from './routes/status.js';
import { usageRoutes } from './routes/usage.js';

export interface AppOptions {
  services: AppServices;
}

/**
 * The Cutover HTTP app as a plugin: `server.ts` boots it, tests `inject()` into it.
 * Order: error handling, the OpenAPI document, then routes (each takes only what it uses).
 */
export const cutoverApp: FastifyPluginAsyncTypebox<AppOptions> = async (app, { services }) => {
  app.decorate('services', services);
  installErrorHandler(app);
  // The API speaks JSON only: any other body type is a 415, not a confusing validation error.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: { title: 'Cutover', version: '0.1.0', description: 'Moves instant messaging from the old vendor to Agora RTM without losing a message.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'messages' }, { name: 'history' }, { name: 'routing' }, { name: 'admin', description: 'Bearer token; viewer reads, operator changes' }, { name: 'ops' },
      ],
    },
  });

  // Echo the request id. A callback onRequest hook, not an async onSend one: the async onSend
  // path cost ~30 µs per request, as much as everything else Cutover adds (bench/README.md).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(messageRoutes);
  await app.register(bridgeRoutes);
  await app.register(historyRoutes);
  await app.register(routeLookupRoutes);
  await app.register(healthRoutes);
  await app.register(adminRoutes);
  await app.register(migrationRoutes);
  await app.register(statusRoutes);
  await app.register(usageRoutes);

  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
};

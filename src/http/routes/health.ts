import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { readiness, metrics } = app.services;

  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['ops'] }, logLevel: 'warn' }, async () => ({ ok: true }));

  app.get('/readyz', {
    schema: { summary: 'Readiness: state loaded, flags synchronized, outbox reachable, not draining', tags: ['ops'] },
    logLevel: 'warn',
  }, async (_request, reply) => {
    const report = await readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (prefix cutover_)', tags: ['ops'] }, logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};

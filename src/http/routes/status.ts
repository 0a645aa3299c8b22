import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SIDES, type Side } from '../../domain/message.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../status/page-html.js';
import { StatusSnapshotBuilder } from '../status/snapshot-builder.js';
import { StatusSnapshotSchema } from '../status/snapshot-schema.js';

/**
 * The live status page: read-only and open (no token), so it shows only figures and the audit
 * trail's who/why, never config, tokens or user ids. Both routes log at warn only: a page left
 * open polls every second.
 */
export const statusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { metrics, stateView, stateStore, config, guard, sides } = app.services;
  const builder = new StatusSnapshotBuilder({
    registry: metrics.registry,
    migration: config.migration,
    plan: config.plan,
    adapters: Object.fromEntries(SIDES.map((side) => [side, sides[side].kind])) as Record<Side, string>,
    state: () => (stateView.loaded ? stateView.current() : undefined),
    stateAgeMs: () => stateView.ageMs,
    guard: { enabled: config.guard.enabled, report: () => guard.lastReport },
    audit: (limit) => stateStore.audit(limit),
  });

  app.get('/status', {
    schema: { summary: 'Live status page (HTML; polls /status/snapshot.json)', tags: ['ops'] },
    logLevel: 'warn',
  }, async (_request, reply) => reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', STATUS_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .send(STATUS_PAGE_HTML));

  app.get('/status/snapshot.json', {
    schema: {
      summary: "What the status page shows: per-side rates and latency from this instance's /metrics registry, state, plan, guard, audit",
      tags: ['ops'],
      response: { 200: StatusSnapshotSchema },
    },
    logLevel: 'warn',
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return builder.snapshot();
  });
};

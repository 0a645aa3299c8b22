/**
 * The baseline: a plain fastify 5 POST route with Cutover's body schema and logger settings that
 * hands the message straight to a MemoryAdapter. Cutover's overhead is measured against this.
 * Run as a child: `node dist/bench/bare-server.js`, env BENCH_PORT (required) and BENCH_HOST.
 */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { MemoryAdapter } from '../src/adapters/memory-adapter.js';
import { deliver } from '../src/adapters/messaging-adapter.js';
import { loadConfig } from '../src/config/load-config.js';
import type { OutboundMessage } from '../src/domain/message.js';
import { SendBody } from '../src/http/schemas.js';
import { createLogger } from '../src/infra/logger.js';
import { lazyChildLoggerFactory } from '../src/http/lazy-child-logger.js';
import { BENCH_SIDE_MESSAGES } from './support/side-cap.js';

const BareReceipt = Type.Object({ id: Type.String(), acceptedAt: Type.Integer() });

async function main(): Promise<void> {
  // Cutover's own defaults (body limit, log level) so the two servers differ only in what Cutover adds.
  const config = loadConfig({ env: {}, overrides: { 'http.logLevel': 'warn' } });
  const logger = createLogger(config.http.logLevel);
  const side = new MemoryAdapter(Math.random, BENCH_SIDE_MESSAGES);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    childLoggerFactory: lazyChildLoggerFactory,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.post('/v1/messages', { schema: { body: SendBody, response: { 201: BareReceipt } } }, async (request, reply) => {
    const body = request.body;
    const message: OutboundMessage = { id: body.id ?? randomUUID(), from: body.from, to: body.to, payload: body.payload, sentAt: Date.now() };
    if (body.kind !== undefined) message.kind = body.kind;
    await deliver(side, message);
    return reply.code(201).send({ id: message.id, acceptedAt: message.sentAt });
  });
  app.get('/readyz', async () => ({ ready: true, stored: side.size }));

  const port = Number(process.env.BENCH_PORT);
  if (!Number.isInteger(port)) throw new Error('BENCH_PORT must be a port number');
  await app.listen({ host: process.env.BENCH_HOST ?? '127.0.0.1', port });

  const shutdown = (): void => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-server: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

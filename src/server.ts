import { ConfigError, loadConfig } from './config/load-config.js';
import { createLogger } from './infra/logger.js';
import { createCutover } from './main.js';

/** Boots the gateway: config, the app, listen, graceful close on SIGTERM/SIGINT. Nothing else. */
async function main(): Promise<void> {
  const configFlag = process.argv.indexOf('--config');
  let config;
  try {
    config = loadConfig({ file: configFlag > 0 ? process.argv[configFlag + 1] : undefined });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cutover: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.http.logLevel);
  const cutover = await createCutover(config, { logger });
  const started = cutover.start();
  const address = await cutover.app.listen({ host: config.http.host, port: config.http.port });
  await started;

  const embedded = !config.redis.url;
  const memorySides = (['old', 'new'] as const).filter((side) => config.sides[side].type === 'memory');
  if (!embedded && memorySides.length > 0) {
    logger.warn({ sides: memorySides }, 'Redis is set but these sides are in-process memory adapters: messages "delivered" there live only in this process. Set sides.old/sides.new (CUTOVER_OLD_SIDE, CUTOVER_NEW_SIDE) for a real migration');
  }
  logger.info({
    instanceId: cutover.instanceId, migration: config.migration, address, mode: embedded ? 'embedded (in-memory state and outbox, one instance, not durable)' : 'redis',
    sides: { old: config.sides.old.type, new: config.sides.new.type }, stateVersion: cutover.services.stateView.current().version,
  }, 'cutover ready');
  if (process.stdout.isTTY || embedded) {
    process.stderr.write([
      '',
      `  Cutover is up at ${address}  (${embedded ? 'embedded default: memory sides, no Redis' : 'Redis mode'})`,
      `  Try:  curl ${address}/v1/route/alice`,
      `        curl -X POST ${address}/v1/messages -H 'content-type: application/json' -d '{"from":"alice","to":{"type":"user","id":"bob"},"payload":"hi"}'`,
      `        curl '${address}/v1/conversations/user/alice/bob/messages'`,
      `        ${address}/metrics   ${address}/docs/json   ${address}/readyz`,
      '',
    ].join('\n'));
  }

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'closing: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    cutover.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'error while closing');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cutover: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

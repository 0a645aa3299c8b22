import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { createLogger } from './infra/logger.js';
import { createCutover, type Cutover } from './main.js';

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
  // Before anything can wait: an instance that never gets its flags must still stop gracefully.
  const stop = handleStopSignals(cutover, config.http, logger);
  const started = cutover.start().catch(async (err: unknown) => {
    // A config the stored state refuses (the shard count): the process must not serve at all.
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`cutover: ${err.message}\n`);
    await cutover.close().catch(() => undefined);
    process.exit(78);
  });
  const address = await cutover.app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ instanceId: cutover.instanceId, address }, 'cutover listening');
  await started;
  if (stop.stopping()) return;

  const embedded = !config.redis.url;
  const memorySides = (['old', 'new'] as const).filter((side) => config.sides[side].type === 'memory');
  if (!embedded && memorySides.length > 0) {
    logger.warn({ sides: memorySides }, 'Redis is set but these sides are in-process memory adapters: messages "delivered" there live only in this process. Set sides.old/sides.new (CUTOVER_OLD_SIDE, CUTOVER_NEW_SIDE) for a real migration');
  }
  if (config.api.open) {
    logger.warn('the /v1 API is open: no api.tokens are set, so anyone who reaches this port may send and read messages. Set CUTOVER_API_TOKENS=name:token,... (or api.tokens) to require a bearer token');
  }
  logger.info({
    instanceId: cutover.instanceId, migration: config.migration, address, mode: embedded ? 'embedded (in-memory state and outbox, one instance, not durable)' : 'redis',
    sides: { old: config.sides.old.type, new: config.sides.new.type }, stateVersion: cutover.services.stateView.current().version,
  }, 'cutover ready');
  if (process.stdout.isTTY || embedded) {
    const bearer = config.api.open ? '' : ` -H 'authorization: Bearer <token>'`;
    process.stderr.write([
      '',
      `  Cutover is up at ${address}  (${embedded ? 'embedded default: memory sides, no Redis' : 'Redis mode'})`,
      ...(config.api.open ? ['  The /v1 API is OPEN: no api.tokens, anyone who reaches this port may send and read. Close it: CUTOVER_API_TOKENS=name:token'] : []),
      `  Try:  curl${bearer} ${address}/v1/route/alice`,
      `        curl -X POST ${address}/v1/messages${bearer} -H 'content-type: application/json' -d '{"from":"alice","to":{"type":"user","id":"bob"},"payload":"hi"}'`,
      `        curl${bearer} '${address}/v1/conversations/user/alice/bob/messages'`,
      `        ${address}/metrics   ${address}/docs/json   ${address}/readyz`,
      '',
    ].join('\n'));
  }
}

/**
 * A stop: drain (not ready, still serving) for http.drainPeriod, then close (no new connections,
 * the requests in flight and their writes finish), exit 0; past http.shutdownTimeout of closing,
 * exit 1. Another SIGTERM changes nothing (an orchestrator may repeat it); a second SIGINT exits
 * at once, for a developer at a terminal who chose not to wait.
 */
function handleStopSignals(cutover: Cutover, http: Config['http'], logger: Logger): { stopping(): boolean } {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      if (signal === 'SIGINT') {
        logger.warn({ signal, inFlight: cutover.inFlight() }, 'second SIGINT: exiting now, without finishing requests in flight or owed writes');
        process.exit(130);
      }
      logger.info({ signal }, 'already stopping: the drain and close go on as planned');
      return;
    }
    stopping = true;
    const { drainPeriodMs, shutdownTimeoutMs } = http;
    cutover.beginDrain(drainPeriodMs);
    logger.info({ signal, drainPeriodMs, shutdownTimeoutMs }, 'draining: /readyz answers 503, every route still serves until the drain period ends');
    setTimeout(() => {
      // Ref'd: should the close hang with nothing else left to run, the process must not exit 0.
      const deadline = setTimeout(() => {
        logger.error({ shutdownTimeoutMs, inFlight: cutover.inFlight() }, 'shutdown timed out: exiting with work unfinished');
        process.exit(1);
      }, shutdownTimeoutMs);
      const closingAt = Date.now();
      logger.info({ inFlight: cutover.inFlight() }, 'closing: no new connections; finishing the requests in flight and their writes');
      cutover.close().then(() => {
        clearTimeout(deadline);
        logger.info({ closeMs: Date.now() - closingAt }, 'closed');
        process.exit(0);
      }, (err: unknown) => {
        logger.error({ err }, 'error while closing');
        process.exit(1);
      });
    }, drainPeriodMs);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  return { stopping: () => stopping };
}

main().catch((err: unknown) => {
  process.stderr.write(`cutover: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

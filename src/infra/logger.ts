import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Paths that may hold a secret anywhere a log line could carry them. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'token',
  'apiKey',
  'apiToken',
  'password',
  '*.token',
  '*.apiKey',
  '*.unleashToken',
  '*.password',
  'config.admin.tokens[*].token',
  'config.api.tokens[*].token',
  'config.sides.*.apiKey',
  'config.sides.*.token',
  'config.flags.unleashToken',
  'config.flags.mirror.adminToken',
  '*.adminToken',
  'config.redis.url',
  'secret',
  '*.secret',
  'config.bridge.secrets.*',
  'req.headers["x-im-signature"]',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'cutover' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

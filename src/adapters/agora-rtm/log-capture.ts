import { format } from 'node:util';
import type { LogLevel } from './worker-protocol.js';

export type LogSink = (level: LogLevel, text: string) => void;

/**
 * Passes at most `max` lines per `windowMs` to `sink` and then one line saying how many it
 * dropped: the SDK is chatty, and a reconnect loop must not flood the logs.
 */
export function rateLimited(
  sink: LogSink,
  max: number,
  windowMs: number,
  now: () => number = Date.now,
): LogSink {
  let windowStart = Number.NEGATIVE_INFINITY;
  let count = 0;
  let dropped = 0;
  return (level, text) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      if (dropped > 0) sink('warn', `dropped ${dropped} agora-rtm log lines in ${windowMs} ms`);
      windowStart = t;
      count = 0;
      dropped = 0;
    }
    if (count < max) {
      count++;
      sink(level, text);
    } else {
      dropped++;
    }
  };
}

/**
 * Sends everything written through `console` to `sink` instead of stdout. Installed in the
 * worker before the SDK loads: the SDK prints `Agora-SDK [DEBUG]` lines even at logLevel 'none',
 * and the server's stdout carries JSON logs only.
 */
export function captureConsole(sink: LogSink): void {
  const debug = (...args: unknown[]): void => sink('debug', format(...args));
  console.log = debug;
  console.info = debug;
  console.debug = debug;
  console.trace = debug;
  console.dir = (item: unknown): void => sink('debug', format(item));
  console.warn = (...args: unknown[]): void => sink('warn', format(...args));
  console.error = (...args: unknown[]): void => sink('error', format(...args));
}

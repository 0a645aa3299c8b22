import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { AdminClient } from '../admin-client.js';

/** What commands need from the process, so the composition root decides (and tests could replace) it. */
export interface CliIo {
  write(text: string): void;
  now(): number;
  /** Calls `handler` on Ctrl-C (SIGINT); returns a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
  /** True when stdout is a terminal: progress redraws one line in place; otherwise it prints a line now and then. */
  interactive: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The options every command that talks to a gateway takes. */
export interface GatewayOptions {
  url: string;
  token?: string;
  timeout: number;
  json?: boolean;
}

/** Adds --url, --token, --timeout (and --json unless the command has no raw reply to print). */
export function addGatewayOptions(command: Command, { json = true }: { json?: boolean } = {}): Command {
  command
    .addOption(new Option('--url <url>', 'gateway base URL').env('CUTOVER_URL').default(DEFAULT_URL).argParser(parseUrl))
    .addOption(new Option('--token <token>', 'admin bearer token; prefer the env variable (a flag shows in ps)').env('CUTOVER_TOKEN'))
    .addOption(new Option('--timeout <duration>', 'give up on the gateway (or Redis, with rollback --redis) after this long').default(5_000, '5s').argParser(parseDurationMs));
  if (json) command.option('--json', 'print the API reply as JSON instead of the human view');
  return command;
}

export function clientFrom(options: GatewayOptions): AdminClient {
  return new AdminClient({ baseUrl: options.url, token: options.token, timeoutMs: options.timeout });
}

/** Prints `reply` as JSON with --json, else its human form. */
export function print<T>(io: CliIo, options: { json?: boolean }, reply: T, human: (reply: T) => string): void {
  io.write(options.json ? `${JSON.stringify(reply, null, 2)}\n` : human(reply));
}

/** Forcing (skipping a bake, going back) is what the audit log most needs a reason for. */
export function requireReasonWhenForced(command: Command, options: { force?: boolean; reason?: string }): void {
  if (options.force && !options.reason) {
    command.error('--force needs --reason "why" (it goes into the audit log)', { exitCode: 2, code: 'cutover.forceWithoutReason' });
  }
}

export function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('not a URL; expected like http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return text;
}

export function parseDurationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration like 500ms, 5s or 1m');
  return ms;
}

/** 0..100 in steps of 0.01 (the bucket space is 1..10000); a trailing % is fine. */
export function parsePercent(text: string): number {
  const percent = Number(text.trim().replace(/\s*%$/, ''));
  if (text.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100 || Math.abs(percent * 100 - Math.round(percent * 100)) > 1e-9) {
    throw new InvalidArgumentError('expected a percent 0..100 in steps of 0.01, like 5 or 0.25');
  }
  return percent;
}

/** The API's rule for reasons (3..500 characters), checked before anything is sent. */
export function parseReason(text: string): string {
  const reason = text.trim();
  if (reason.length < 3 || reason.length > 500) throw new InvalidArgumentError('say why in 3 to 500 characters; it goes into the audit log');
  return reason;
}

export function wholeNumber(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new InvalidArgumentError(`expected a whole number ${min}..${max}`);
    return value;
  };
}

/** Help sections end with examples; every command has them. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/**
 * The options of every state change: --reason and --expected-version, and --force where the change
 * has a guard rail to step over (`forceAllows` says which, for --help).
 */
export function addChangeOptions(command: Command, forceAllows?: string): Command {
  if (forceAllows) command.option('--force', forceAllows);
  return command
    .option('--reason <text>', `why; recorded in the audit log${forceAllows ? ' (required with --force)' : ''}`, parseReason)
    .option('--expected-version <n>', 'apply only if the state is still at this version (see cutover status)', wholeNumber(0, Number.MAX_SAFE_INTEGER));
}

/** Resolves after `ms`, or at once when `signal` aborts (Ctrl-C ends a follow without waiting). */
export function interruptibleSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

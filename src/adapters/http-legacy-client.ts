import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import { AdapterError } from './adapter-error.js';
import type { AdapterHealth } from './messaging-adapter.js';

export interface HttpLegacyConfig {
  /** Where the legacy IM server's REST API lives, e.g. `http://legacy-im:8080` (a path prefix is kept). */
  baseUrl: string;
  apiKey?: string;
  /** Deadline of one attempt, from queueing for a connection to the last byte of the reply. */
  timeoutMs: number;
  /** Extra attempts after a retryable failure (0 = one attempt). */
  retries: number;
  /** Keep-alive connections the pool may open to the server. */
  connections: number;
}

/** Retry backoff: attempt n waits between half and all of min(cap, base * 2^n). */
export const BACKOFF_BASE_MS = 50;
export const BACKOFF_CAP_MS = 1_000;
const HEALTH_TIMEOUT_MS = 1_000;
/** How much of an error reply's body goes into the error message. */
const ERROR_BODY_CHARS = 200;
const DOT = 0x2e;
const DOTS_ONLY = /^\.+$/;

/** The longest wait after failed attempt n (from 0) before the next one. */
function backoffWindowMs(attempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

/** The longest one call can take: every attempt to its deadline, and the longest backoff between them. */
export function longestCallMs(timeoutMs: number, retries: number): number {
  let backoff = 0;
  for (let attempt = 0; attempt < retries; attempt++) backoff += backoffWindowMs(attempt);
  return timeoutMs * (retries + 1) + backoff;
}

/**
 * An id as one path segment that cannot walk out of its place: reserved characters are
 * percent-encoded, and so is a dot-only segment, which servers and proxies would otherwise
 * resolve as `.` or `..`. The API refuses such ids already; this holds whatever the caller.
 */
export function pathSegment(id: string): string {
  const encoded = encodeURIComponent(id);
  return encoded.charCodeAt(0) === DOT && DOTS_ONLY.test(encoded) ? encoded.replaceAll('.', '%2E') : encoded;
}

/** Socket-level errors: the request could not be carried to the server or back. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** Failures to connect at all: the request never reached the server, which cannot hold the message. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The deadline of one attempt, handed to undici as its abort signal (undici takes an EventEmitter
 * that emits 'abort'). It covers queueing, connecting, waiting and reading, at ~1 µs a call where an
 * AbortSignal.timeout costs ~15 µs.
 */
class Deadline extends EventEmitter {
  expired = false;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly ms: number) {
    super();
    this.timer = setTimeout(expire, ms, this);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

function expire(deadline: Deadline): void {
  deadline.expired = true;
  deadline.emit('abort');
}

/** Reads a 2xx reply's body; throwing an AdapterError from it counts as that attempt's failure. */
export type ReadBody<T> = (body: Dispatcher.ResponseData['body']) => Promise<T>;

export const discard: ReadBody<void> = (body) => body.dump();

/**
 * The HTTP machinery of the legacy REST contract (docs/legacy-rest-contract.md, "The client"): one
 * keep-alive pool, a deadline per attempt, retries with jittered backoff on anything but a permanent
 * (4xx) answer, and the failure classes. Every contract call is idempotent, so every call may be
 * retried. It sits under the live send path, so nothing here logs and the per-request work is what
 * the caller hands in.
 */
export class LegacyHttpClient {
  /** The base URL's path without a trailing slash; callers prefix it to every path they build. */
  readonly basePath: string;
  private readonly pool: Pool;
  private readonly getHeaders: Record<string, string>;
  private readonly bodyHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly retries: number;
  private closed: Promise<void> | undefined;

  constructor(config: HttpLegacyConfig, private readonly random: () => number = Math.random) {
    const url = checkConfig(config);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = config.timeoutMs;
    this.healthTimeoutMs = Math.min(config.timeoutMs, HEALTH_TIMEOUT_MS);
    this.retries = config.retries;
    this.getHeaders = config.apiKey === undefined ? {} : { authorization: `Bearer ${config.apiKey}` };
    this.bodyHeaders = { ...this.getHeaders, 'content-type': 'application/json' };
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      pipelining: 1,
      // Backstops only (undici's timers tick at ~0.5 s): the Deadline of each attempt is the real bound.
      connectTimeout: config.timeoutMs,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    });
  }

  /**
   * One call, retried as the contract says. `path` includes `basePath` and the query. Fails
   * `notSent` only if no attempt reached the server: one that did may have applied the write.
   */
  async request<T>(method: 'GET' | 'PUT' | 'POST', path: string, body: string | undefined, read: ReadBody<T>): Promise<T> {
    let reached = false;
    for (let attempt = 0; ; attempt++) {
      let failure: AdapterError;
      const deadline = new Deadline(this.timeoutMs);
      try {
        const response = await this.pool.request({
          method,
          path,
          body,
          headers: body === undefined ? this.getHeaders : this.bodyHeaders,
          signal: deadline,
        });
        if (response.statusCode >= 200 && response.statusCode < 300) return await read(response.body);
        failure = await statusError(method, path, response);
      } catch (err) {
        failure = err instanceof AdapterError ? err : transportError(method, path, err, deadline);
      } finally {
        deadline.clear();
      }
      reached ||= !failure.notSent;
      if (!failure.retryable || attempt >= this.retries) throw reached && failure.notSent ? reachedBefore(failure) : failure;
      const window = backoffWindowMs(attempt);
      await sleep(window / 2 + this.random() * (window / 2));
    }
  }

  /** One short attempt at GET /health; never throws. */
  async health(): Promise<AdapterHealth> {
    const deadline = new Deadline(this.healthTimeoutMs);
    try {
      const { statusCode, body } = await this.pool.request({
        method: 'GET',
        path: `${this.basePath}/health`,
        headers: this.getHeaders,
        signal: deadline,
      });
      const text = await body.text();
      if (statusCode === 200 && (JSON.parse(text) as { ok?: unknown }).ok === true) return { ok: true };
      return { ok: false, detail: `HTTP ${statusCode}: ${text.slice(0, ERROR_BODY_CHARS)}` };
    } catch (err) {
      return { ok: false, detail: transportError('GET', '/health', err, deadline).message };
    } finally {
      deadline.clear();
    }
  }

  /** Waits for calls in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= this.pool.close();
    return this.closed;
  }
}

function checkConfig(config: HttpLegacyConfig): URL {
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw new TypeError(`http-legacy baseUrl is not a URL: ${config.baseUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`http-legacy baseUrl must be http(s): ${config.baseUrl}`);
  if (!(config.timeoutMs > 0) || !Number.isFinite(config.timeoutMs)) throw new RangeError(`http-legacy timeoutMs must be > 0, got ${config.timeoutMs}`);
  if (!Number.isInteger(config.retries) || config.retries < 0) throw new RangeError(`http-legacy retries must be an integer >= 0, got ${config.retries}`);
  if (!Number.isInteger(config.connections) || config.connections < 1) throw new RangeError(`http-legacy connections must be an integer >= 1, got ${config.connections}`);
  return url;
}

/** A non-2xx reply: 408, 429 and 5xx are the server's passing trouble, anything else is permanent. */
async function statusError(method: string, path: string, response: Dispatcher.ResponseData): Promise<AdapterError> {
  const { statusCode } = response;
  // Read the body so the connection goes back to the pool; its text helps whoever reads the error.
  const text = await response.body.text().catch(() => '');
  const failure = statusCode === 408 || statusCode === 429 || statusCode >= 500 ? 'vendor_error' : 'rejected';
  return new AdapterError(failure, `http-legacy ${method} ${path}: HTTP ${statusCode} ${text.slice(0, ERROR_BODY_CHARS)}`, statusCode);
}

/** A thrown error: no answer in time is `timeout`, no connection is `unavailable`, the rest `vendor_error`. */
function transportError(method: string, path: string, err: unknown, deadline: Deadline): AdapterError {
  const code = errorCode(err);
  const where = `http-legacy ${method} ${path}`;
  if (deadline.expired || TIMEOUT_CODES.has(code)) {
    return new AdapterError('timeout', `${where}: no reply within ${deadline.ms} ms`, undefined, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  if (UNAVAILABLE_CODES.has(code)) return new AdapterError('unavailable', `${where}: ${code} ${detail}`, undefined, { cause: err, notSent: NOT_SENT_CODES.has(code) });
  return new AdapterError('vendor_error', `${where}: ${detail}`, undefined, { cause: err });
}

/** The last failure, but no longer `notSent`: an earlier attempt reached the server. */
function reachedBefore(failure: AdapterError): AdapterError {
  return new AdapterError(failure.failure, `${failure.message} (an earlier attempt reached the server)`, failure.vendorCode, { cause: failure.cause });
}

/** The error's code, looking into the AggregateError that a dual-stack connect throws. */
function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const { code, errors } = err as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  return Array.isArray(errors) && errors.length > 0 ? errorCode(errors[0]) : '';
}

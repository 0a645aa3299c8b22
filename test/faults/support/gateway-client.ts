import { Pool } from 'undici';
import { SERVICE_TOKEN } from '../../support/stack.js';

/** An HTTP answer, or the transport error that took its place (`error` is the socket-level code). */
export type Answer =
  | { status: number; body: any; at: number; error?: undefined }
  | { status?: undefined; error: string; at: number };

/** No answer in this long counts as a hung request: a caller gives up and records a timeout. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * One caller's keep-alive connections to one gateway, as an app backend would hold them (with the
 * stack's service token). Transport
 * failures are answers too (`{ error }`), never thrown: a fault suite counts them.
 */
export class GatewayClient {
  private readonly pool: Pool;

  constructor(readonly url: string, connections = 32) {
    this.pool = new Pool(url, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  }

  post(path: string, body: unknown): Promise<Answer> {
    return this.call('POST', path, JSON.stringify(body));
  }

  get(path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
    return this.call('GET', path, undefined, timeoutMs);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async call(method: 'GET' | 'POST', path: string, body: string | undefined, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${SERVICE_TOKEN}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await this.pool.request({ method, path, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      return { status: res.statusCode, body: parsed, at: Date.now() };
    } catch (err) {
      return { error: errorCode(err), at: Date.now() };
    }
  }
}

function errorCode(err: unknown): string {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' ? name : 'ERROR';
}

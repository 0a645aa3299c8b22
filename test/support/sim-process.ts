import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { DatasetDescription } from '../../src/sim/dataset/dataset-digest.js';
import { datasetArgs, type DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import type { SimFaults, SimReadStats, SimStats } from '../../src/sim/legacy-im-app.js';
import type { ClientSend } from '../../src/sim/legacy-im-client-routes.js';
import type { WebhookPatch, WebhookSettings, WebhookStats } from '../../src/sim/legacy-im-webhook.js';

export interface SimProcessOptions {
  /** Where the sim keeps its messages; default: a file in a fresh temp dir that `destroy()` removes. */
  dataFile?: string;
  apiKey?: string;
  /** Default 0: a free port, which `restart()` then reuses. */
  port?: number;
  /** Reported by the sim's /health. */
  name?: string;
  /** How long to wait for the listening line (default 10 s). */
  startTimeoutMs?: number;
  /** The generated past it serves (the sim's --seed, --users, ... flags); default: none. */
  dataset?: Partial<DatasetSpec>;
  /** Where the after-send webhook of client sends goes (--webhook-url); needs `webhookSecret`. */
  webhookUrl?: string;
  /** The webhook's signing key, passed by environment (LEGACY_IM_WEBHOOK_SECRET) so it stays out of `ps`. */
  webhookSecret?: string;
}

export type SimImportStats = Pick<SimStats, 'imported' | 'importDuplicates'>;
export type SimPutStats = Pick<SimStats, 'stored' | 'duplicatesSuppressed' | 'puts' | 'failuresInjected'>;

/** A contract call's answer, whatever its status. */
export interface SimReply<T = any> {
  status: number;
  body: T;
}

/** Compiled layout: dist/test/support/sim-process.js → dist/src/sim/legacy-im-server.js. */
const ENTRY = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/sim/legacy-im-server.js');
const STOP_TIMEOUT_MS = 5_000;
const CONTROL_TIMEOUT_MS = 5_000;
const OUTPUT_KEEP_CHARS = 16_384;

// Whatever happens to a test, no sim outlives the process that started it: killed on exit here, and
// each child also exits when its stdin (a pipe from this process) closes, even if this one is SIGKILLed.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The simulated legacy IM server as a real child process on loopback, for end-to-end tests. */
export class SimProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private output = '';
  private port_: number;
  private url_ = '';
  private readonly ownsDataDir: string | undefined;
  readonly dataFile: string;

  private constructor(private readonly options: SimProcessOptions) {
    this.port_ = options.port ?? 0;
    if (options.dataFile === undefined) {
      this.ownsDataDir = mkdtempSync(join(tmpdir(), 'cutover-legacy-sim-'));
      this.dataFile = join(this.ownsDataDir, 'messages.jsonl');
    } else {
      this.dataFile = options.dataFile;
    }
  }

  /** Spawns a sim and resolves once it accepts connections. */
  static async start(options: SimProcessOptions = {}): Promise<SimProcess> {
    const sim = new SimProcess(options);
    try {
      await sim.spawn();
    } catch (err) {
      sim.dispose();
      throw err;
    }
    return sim;
  }

  get url(): string {
    return this.url_;
  }

  get port(): number {
    return this.port_;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last few KiB the sim wrote to stdout and stderr, for assertion messages. */
  get log(): string {
    return this.output;
  }

  /** Merges `faults` into the sim's current faults and returns the result. */
  setFaults(faults: Partial<SimFaults>): Promise<SimFaults> {
    return this.control<SimFaults>('POST', '/_sim/faults', faults);
  }

  /** The message-PUT counters of /_sim/stats (callers compare them whole, so the import ones are apart). */
  async stats(): Promise<SimPutStats> {
    const { stored, duplicatesSuppressed, puts, failuresInjected } = await this.control<SimStats>('GET', '/_sim/stats');
    return { stored, duplicatesSuppressed, puts, failuresInjected };
  }

  /** The import counters of /_sim/stats: messages an import stored, and import items already held. */
  async importStats(): Promise<SimImportStats> {
    const { imported, importDuplicates } = await this.control<SimStats>('GET', '/_sim/stats');
    return { imported, importDuplicates };
  }

  /** Contract reads and how many got an injected failure. */
  reads(): Promise<SimReadStats> {
    return this.control<SimReadStats>('GET', '/_sim/reads');
  }

  /** A client SDK send (POST /v1/client/messages, with the api key when the sim has one): `201` stored, `200` already held. */
  async clientSend(message: ClientSend): Promise<SimReply> {
    if (!this.running) throw new Error(`legacy IM sim is not running (client send)\n${this.output}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey !== undefined) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    const response = await request(this.url_ + '/v1/client/messages', {
      method: 'POST',
      body: JSON.stringify(message),
      headers,
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** Merges `patch` into the after-send webhook's config and returns it (without the secret). */
  setWebhook(patch: WebhookPatch): Promise<WebhookSettings> {
    return this.control<WebhookSettings>('POST', '/_sim/webhook', patch);
  }

  /** The after-send webhook's config, `secretSet` in place of the secret. */
  webhook(): Promise<WebhookSettings> {
    return this.control<WebhookSettings>('GET', '/_sim/webhook');
  }

  webhookStats(): Promise<WebhookStats> {
    return this.control<WebhookStats>('GET', '/_sim/webhook/stats');
  }

  /** Removes one stored (live or imported) message, to plant a difference; throws when it is not stored. */
  async deleteMessage(id: string): Promise<void> {
    await this.control<unknown>('DELETE', `/_sim/messages/${encodeURIComponent(id)}`);
  }

  /** The generated past it serves: spec, totals and a sampled digest. */
  dataset(): Promise<DatasetDescription> {
    return this.control<DatasetDescription>('GET', '/_sim/dataset');
  }

  /** The sampled digest of the generated past: equal for two sims started with the same dataset. */
  async datasetDigest(): Promise<string> {
    return (await this.dataset()).digest;
  }

  async messageIds(): Promise<string[]> {
    return (await this.control<{ ids: string[] }>('GET', '/_sim/messages')).ids;
  }

  /** Every stored message's id and payload. */
  async payloads(): Promise<Array<{ id: string; payload: string }>> {
    return (await this.control<{ messages: Array<{ id: string; payload: string }> }>('GET', '/_sim/payloads')).messages;
  }

  /** Clears messages (data file too), imported records, stats, faults and the webhook's queue and stats, and goes back to its starting dataset. */
  async reset(): Promise<void> {
    await this.control<unknown>('POST', '/_sim/reset');
  }

  /** SIGTERM, then waits for a clean exit; resolves with the exit code (0 when clean). */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child === undefined || !this.running) return this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    if (child.signalCode === 'SIGKILL') {
      throw new Error(`legacy IM sim did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM and was killed\n${this.output}`);
    }
    return code;
  }

  /** SIGKILL, no chance to clean up: what a crash looks like. */
  async kill(): Promise<void> {
    if (this.child !== undefined && this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the sim if it runs and starts it again on the same port with the same data file. */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** Kills the sim if it still runs and removes the temp data file it made; for `after` hooks. */
  async destroy(): Promise<void> {
    await this.kill();
    this.dispose();
  }

  private dispose(): void {
    if (this.ownsDataDir !== undefined) rmSync(this.ownsDataDir, { recursive: true, force: true });
  }

  private spawn(): Promise<void> {
    if (!existsSync(ENTRY)) throw new Error(`legacy IM sim entry ${ENTRY} is missing: run \`npx tsc -p tsconfig.json\` first`);
    const args = [ENTRY, '--port', String(this.port_), '--data', this.dataFile, '--exit-with-stdin', '--log-level', 'warn'];
    if (this.options.name !== undefined) args.push('--name', this.options.name);
    if (this.options.webhookUrl !== undefined) args.push('--webhook-url', this.options.webhookUrl);
    args.push(...datasetArgs(this.options.dataset));
    // Keys travel by environment, not argv, so they do not show in `ps`.
    const env = { ...process.env };
    delete env['LEGACY_IM_API_KEY'];
    delete env['LEGACY_IM_WEBHOOK_SECRET'];
    if (this.options.apiKey !== undefined) env['LEGACY_IM_API_KEY'] = this.options.apiKey;
    if (this.options.webhookSecret !== undefined) env['LEGACY_IM_WEBHOOK_SECRET'] = this.options.webhookSecret;

    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child = child;
    live.add(child);
    this.exited = new Promise((done) => {
      child.once('exit', (code) => {
        live.delete(child);
        done(code);
      });
    });
    const timeoutMs = this.options.startTimeoutMs ?? 10_000;

    return new Promise<void>((ready, fail) => {
      let pending = '';
      let listening = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`legacy IM sim did not print its listening line within ${timeoutMs} ms\n${this.output}`));
      }, timeoutMs);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        this.capture(chunk);
        if (listening) return;
        pending += chunk;
        const newline = pending.indexOf('\n');
        if (newline < 0) return;
        const line = pending.slice(0, newline);
        try {
          const event = JSON.parse(line) as { event?: unknown; port?: unknown; url?: unknown };
          if (event.event !== 'listening' || typeof event.port !== 'number' || typeof event.url !== 'string') throw new Error('not a listening event');
          this.port_ = event.port;
          this.url_ = event.url;
          listening = true;
          clearTimeout(timer);
          ready();
        } catch {
          clearTimeout(timer);
          child.kill('SIGKILL');
          fail(new Error(`legacy IM sim printed an unexpected first line: ${line}\n${this.output}`));
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.capture(chunk));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!listening) fail(new Error(`legacy IM sim exited (${signal ?? code}) before listening\n${this.output}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        fail(new Error(`cannot spawn the legacy IM sim: ${err.message}`));
      });
    });
  }

  private capture(chunk: string): void {
    this.output = (this.output + chunk).slice(-OUTPUT_KEEP_CHARS);
  }

  /** A contract call (not /_sim), answered 200 or thrown: tests read and plant data through the API the gateway uses. */
  request<T = any>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T> {
    return this.control<T>(method, path, body);
  }

  private async control<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<T> {
    if (!this.running) throw new Error(`legacy IM sim is not running (${method} ${path})\n${this.output}`);
    const response = await request(this.url_ + path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`legacy IM sim ${method} ${path}: HTTP ${response.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }
}

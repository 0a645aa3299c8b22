import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { HistoryQuery, OutboundMessage } from '../../domain/message.js';
import { AdapterError } from '../adapter-error.js';
import type { AdapterHealth, MessagingAdapter } from '../messaging-adapter.js';
import type { MigrationWriter } from '../migration-side.js';
import { AgoraRtmMigrationSide } from './agora-rtm-migration-side.js';
import { rateLimited, type LogSink } from './log-capture.js';
import type {
  AgoraRtmWorkerData,
  MigrationOp,
  WorkerOp,
  WorkerOps,
  WorkerRequest,
  WorkerToMain,
} from './worker-protocol.js';
import type { RelayStatus } from './rtm-channel-relay.js';

export interface AgoraRtmConfig {
  /** Agora project App ID. */
  appId: string;
  /** The RTM user Cutover logs in as. RTM allows one login per user id: one per instance. */
  userId: string;
  /** RTM token for `userId`. A secret: never logged. */
  token: string;
  /** Budget of one call, in milliseconds. */
  timeoutMs: number;
  /** Absolute path of a module exporting `createRtmClient`, used instead of the SDK (tests). */
  clientModule?: string;
  /** Calls per second the migration makes on this instance's client; the SDK's 20 when unset. */
  migrationCallsPerSecond?: number;
  /** Budget of one migration call, which queues behind the rate window; 120 s when unset. */
  migrationTimeoutMs?: number;
  /** Group channels whose client-published messages go to `onRelayed` (bridge.new.relayChannels). */
  relayChannels?: string[];
}

export type AgoraRtmLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

const WORKER_URL = new URL('./agora-rtm-worker.js', import.meta.url);
/** Lets the worker's own timeout, which says more, arrive before ours. */
export const RESPONSE_GRACE_MS = 250;
/** A cold start registers happy-dom and loads the SDK (about half a second here). */
const STARTUP_TIMEOUT_MS = 15_000;
const MAX_RESTART_DELAY_MS = 30_000;
const MIGRATION_TIMEOUT_MS = 120_000;
const OUTPUT_LINES_PER_WINDOW = 50;
const OUTPUT_WINDOW_MS = 10_000;

interface WorkerHandle {
  worker: Worker;
  ready: boolean;
  /** Requests made before the worker was ready, posted (and timed) once it is. */
  queued: WorkerRequest[];
  startupTimer: NodeJS.Timeout;
  lastError?: Error;
}

interface Pending {
  handle: WorkerHandle;
  resolve: (result: unknown) => void;
  reject: (err: AdapterError) => void;
  budgetMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * The new side: Agora RTM through agora-rtm-sdk, run in a worker thread (see agora-rtm-worker.ts).
 * Calls cross to the worker by postMessage; a dead worker fails its calls as `unavailable` and
 * is started again by the next call, after a back-off when it keeps dying.
 */
export class AgoraRtmAdapter implements MessagingAdapter {
  readonly kind = 'agora-rtm';
  private handle: WorkerHandle | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashes = 0;
  private restartAt = 0;
  private closed = false;
  private readonly outputLog: LogSink;
  private readonly migrationTimeoutMs: number;
  private migration: AgoraRtmMigrationSide | undefined;
  private relayed: ((message: OutboundMessage) => void) | undefined;

  constructor(
    private readonly config: AgoraRtmConfig,
    private readonly logger?: AgoraRtmLogger,
  ) {
    if (!(config.timeoutMs > 0)) {
      throw new RangeError('agora-rtm timeoutMs must be a positive number');
    }
    this.migrationTimeoutMs = config.migrationTimeoutMs ?? Math.max(MIGRATION_TIMEOUT_MS, config.timeoutMs);
    if (!(this.migrationTimeoutMs > 0)) {
      throw new RangeError('agora-rtm migrationTimeoutMs must be a positive number');
    }
    const rate = config.migrationCallsPerSecond;
    // Checked here: the worker would only die of it, again at every restart.
    if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1)) {
      throw new RangeError(`agora-rtm migrationCallsPerSecond must be a positive integer, got ${rate}`);
    }
    this.outputLog = rateLimited(
      (level, text) => this.logger?.[level]({ adapter: this.kind, source: 'worker-stdio' }, text),
      OUTPUT_LINES_PER_WINDOW,
      OUTPUT_WINDOW_MS,
    );
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.call('sendToUser', message);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.call('sendToChannel', message);
  }

  history(query: HistoryQuery): Promise<OutboundMessage[]> {
    return this.call('history', query);
  }

  /**
   * Starts the relay of the configured channels (the worker subscribes them, now and after every
   * restart) and answers what it subscribed; `listener` gets each message an app published there.
   */
  /** Whether channels are configured to relay. */
  get relays(): boolean {
    return (this.config.relayChannels?.length ?? 0) > 0;
  }

  relay(listener: (message: OutboundMessage) => void): Promise<RelayStatus> {
    this.relayed = listener;
    return this.call('relayStatus');
  }

  /**
   * The migration's writer on new, through this adapter's worker: RTM allows one client per
   * process, so the migration and live traffic share one login (and its per-client limits).
   */
  migrationSide(): MigrationWriter {
    this.migration ??= new AgoraRtmMigrationSide(
      (op, ...args) => this.call(op, ...args),
      this.config.migrationCallsPerSecond,
    );
    return this.migration;
  }

  async health(): Promise<AdapterHealth> {
    if (this.closed) return { ok: false, detail: 'closed' };
    try {
      return await this.call('health');
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const handle = this.handle;
    if (handle === undefined) return;
    if (handle.ready) {
      try {
        await this.request(handle, 'close');
      } catch {
        // Logout is a courtesy to Agora; the worker ends below either way.
      }
    }
    await handle.worker.terminate();
  }

  private call<K extends WorkerOp>(
    op: K,
    ...args: WorkerOps[K]['args']
  ): Promise<WorkerOps[K]['result']> {
    if (this.closed) {
      return Promise.reject(new AdapterError('unavailable', 'agora-rtm adapter is closed', undefined, { notSent: true }));
    }
    let handle = this.handle;
    if (handle === undefined) {
      if (Date.now() < this.restartAt) {
        const text = `agora-rtm worker is restarting after ${this.crashes} crashes`;
        return Promise.reject(new AdapterError('unavailable', text, undefined, { notSent: true }));
      }
      handle = this.spawn();
    }
    return this.request(handle, op, ...args);
  }

  private request<K extends WorkerOp>(
    handle: WorkerHandle,
    op: K,
    ...args: WorkerOps[K]['args']
  ): Promise<WorkerOps[K]['result']> {
    const id = this.nextId++;
    // The protocol pairs op and args per K; TypeScript cannot follow K into the union.
    const request = { id, op, args } as WorkerRequest;
    const budgetMs = isMigrationOp(op) ? this.migrationTimeoutMs : this.config.timeoutMs;
    return new Promise<WorkerOps[K]['result']>((resolve, reject) => {
      // A response to this id carries the result type of this op.
      const pending: Pending = { handle, resolve: resolve as (result: unknown) => void, reject, budgetMs };
      this.pending.set(id, pending);
      if (handle.ready) this.post(handle, request, pending);
      else handle.queued.push(request);
    });
  }

  private post(handle: WorkerHandle, request: WorkerRequest, pending: Pending): void {
    const ms = pending.budgetMs + RESPONSE_GRACE_MS;
    pending.timer = setTimeout(this.onTimeout, ms, request.id);
    handle.worker.postMessage(request);
  }

  private readonly onTimeout = (id: number): void => {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    const text = `agora-rtm worker did not answer within ${pending.budgetMs} ms`;
    pending.reject(new AdapterError('timeout', text));
  };

  private spawn(): WorkerHandle {
    const { appId, userId, token, timeoutMs, clientModule, migrationCallsPerSecond } = this.config;
    const workerData: AgoraRtmWorkerData = { appId, userId, token, timeoutMs };
    if (clientModule !== undefined) workerData.clientModule = clientModule;
    if (migrationCallsPerSecond !== undefined) workerData.migrationCallsPerSecond = migrationCallsPerSecond;
    if (this.config.relayChannels !== undefined && this.config.relayChannels.length > 0) workerData.relayChannels = [...this.config.relayChannels];
    // stdout/stderr: true keeps whatever the worker prints off this process's stdout.
    const worker = new Worker(WORKER_URL, { workerData, stdout: true, stderr: true });
    const handle: WorkerHandle = {
      worker,
      ready: false,
      queued: [],
      startupTimer: setTimeout(() => {
        handle.lastError = new Error(`did not start within ${STARTUP_TIMEOUT_MS} ms`);
        void worker.terminate();
      }, STARTUP_TIMEOUT_MS),
    };
    worker.on('message', (message: WorkerToMain) => this.onMessage(handle, message));
    worker.on('error', (err) => {
      handle.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(handle, code));
    worker.stdout.on('data', (chunk: Buffer) => this.outputLog('debug', chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => this.outputLog('debug', chunk.toString()));
    this.handle = handle;
    return handle;
  }

  private onMessage(handle: WorkerHandle, message: WorkerToMain): void {
    switch (message.type) {
      case 'response': {
        const pending = this.pending.get(message.id);
        if (pending === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        this.crashes = 0;
        if (message.ok) {
          pending.resolve(message.result);
        } else {
          const { failure, message: text, vendorCode } = message.error;
          pending.reject(new AdapterError(failure, text, vendorCode));
        }
        return;
      }
      case 'ready': {
        handle.ready = true;
        clearTimeout(handle.startupTimer);
        for (const request of handle.queued) {
          const pending = this.pending.get(request.id);
          if (pending !== undefined) this.post(handle, request, pending);
        }
        handle.queued = [];
        return;
      }
      case 'relayed': {
        this.relayed?.(message.message);
        return;
      }
      case 'log': {
        const bindings = { adapter: this.kind, source: message.source };
        // The SDK's own levels mean little in Node (it logs missing devices as errors).
        if (message.source === 'sdk') {
          this.logger?.debug({ ...bindings, sdkLevel: message.level }, message.text);
        } else {
          this.logger?.[message.level](bindings, message.text);
        }
        return;
      }
    }
  }

  private onExit(handle: WorkerHandle, code: number): void {
    clearTimeout(handle.startupTimer);
    if (this.handle === handle) this.handle = undefined;
    let reason: string;
    if (this.closed) {
      reason = 'agora-rtm adapter is closed';
    } else {
      this.crashes++;
      this.restartAt = Date.now() + restartDelay(this.crashes);
      const cause = handle.lastError?.message;
      reason = `agora-rtm worker exited (code ${code})${cause === undefined ? '' : `: ${cause}`}`;
      this.logger?.warn(
        { adapter: this.kind, code, crashes: this.crashes, err: cause },
        'agora-rtm worker exited',
      );
    }
    for (const [id, pending] of this.pending) {
      if (pending.handle !== handle) continue;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new AdapterError('unavailable', reason));
    }
  }
}

function isMigrationOp(op: WorkerOp): op is MigrationOp {
  return op.startsWith('migration');
}

/** First restart at once; then 1 s, 2 s, 4 s ... up to 30 s while the worker keeps dying. */
function restartDelay(crashes: number): number {
  return crashes <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (crashes - 2));
}

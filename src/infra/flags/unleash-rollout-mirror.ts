import type { Logger } from 'pino';
import { backoffDelay } from '../../domain/backoff.js';
import { cohortLimit } from '../../domain/bucket.js';
import type { RolloutState } from '../../domain/rollout-state.js';

export type MirroredState = Pick<RolloutState, 'stage' | 'percent' | 'rollback' | 'version'>;

export interface MirrorResult {
  ok: boolean;
  /** The whole percent the flag's flexibleRollout was to hold. */
  percent: number;
  /** The state version this result is about. */
  version: number;
  /** Requests tried (each is a list and then at most one write). */
  attempts: number;
  /** On success: what the write did. */
  action?: 'updated' | 'created' | 'unchanged';
  error?: string;
  /** Not written: a newer state came first (its result is the one that counts) or the mirror was closed. */
  superseded?: boolean;
}

export interface UnleashRolloutMirrorOptions {
  /** Unleash's root URL; a trailing `/api` (the client URL) is accepted too. */
  adminUrl: string;
  /** An Unleash admin token (or a personal access token) allowed to update the flag's strategies. */
  adminToken: string;
  project?: string;
  environment?: string;
  /** The flag client apps read their cohort from. */
  flagName: string;
  /** Cutover's bucket groupId (its eligibility flag's name); default `flagName`. It must match, or Unleash hashes users differently. */
  groupId?: string;
  logger: Logger;
  fetchTimeoutMs?: number;
  /** Tries per state, the first included. */
  attempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Every final outcome (not superseded ones), for the caller's audit log. Must not throw; if it does, it is logged. */
  onResult?: (result: MirrorResult) => void;
}

/**
 * The whole-percent rollout Unleash should hold for a state: 0 when rolled back or before canary,
 * 100 in complete, and in canary the percent rounded down. Rounding down keeps Unleash's cohort a
 * subset of Cutover's: Unleash takes a user at rollout R when `h % 100 + 1 <= R`, which is exactly
 * Cutover's buckets 1..R*100, and R*100 <= Cutover's limit round(percent * 100). Rounding up would
 * tell a client app "log into new" for users the gateway still routes to old.
 */
export function unleashRolloutFor(state: Omit<MirroredState, 'version'>): number {
  if (state.rollback !== null) return 0;
  if (state.stage === 'complete') return 100;
  if (state.stage !== 'canary') return 0;
  return Math.min(100, Math.max(0, Math.floor(cohortLimit(state.percent) / 100)));
}

/** A non-2xx from the Admin API. */
class AdminApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface AdminStrategy {
  id: string;
  name: string;
  parameters?: Record<string, string>;
}

/**
 * Mirrors Cutover's rollout into the flexibleRollout strategy of an Unleash flag through the Admin
 * API, so client apps asking Unleash see (a subset of) Cutover's cohort. Best effort: `mirror()`
 * never rejects and need not be awaited; it retries with backoff, logs, and reports each outcome
 * to `onResult`. States are written one at a time in version order; a newer state cuts short the
 * retries (and any request in flight) of an older one, so a rollback is not queued behind them.
 *
 * Mirror into a flag other than the eligibility flag: Cutover reads that one, and a rollout on it
 * would narrow eligibility to whole percents and lag every change by a client refresh.
 */
export class UnleashRolloutMirror {
  private readonly base: string;
  private readonly strategiesPath: string;
  private readonly groupId: string;
  private latestVersion = Number.NEGATIVE_INFINITY;
  private tail: Promise<unknown> = Promise.resolve();
  private inFlight: { version: number; controller: AbortController } | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: UnleashRolloutMirrorOptions) {
    this.base = options.adminUrl.replace(/\/+$/, '').replace(/\/api$/, '');
    const project = encodeURIComponent(options.project ?? 'default');
    const environment = encodeURIComponent(options.environment ?? 'development');
    this.strategiesPath = `/api/admin/projects/${project}/features/${encodeURIComponent(options.flagName)}/environments/${environment}/strategies`;
    this.groupId = options.groupId ?? options.flagName;
  }

  /** Writes the rollout for `state` to Unleash. Resolves with the outcome; never rejects. */
  mirror(state: MirroredState): Promise<MirrorResult> {
    const percent = unleashRolloutFor(state);
    if (this.closed || state.version < this.latestVersion) {
      return Promise.resolve({ ok: false, percent, version: state.version, attempts: 0, superseded: true });
    }
    this.latestVersion = state.version;
    if (this.inFlight && this.inFlight.version < state.version) this.inFlight.controller.abort();
    this.wake?.();
    const run = this.tail
      .then(() => this.apply(state.version, percent))
      .catch((err: unknown): MirrorResult => this.report({ ok: false, percent, version: state.version, attempts: 0, error: describe(err) }));
    this.tail = run;
    return run;
  }

  /** Stops retrying; resolves when the state being written (if any) is done. */
  async close(): Promise<void> {
    this.closed = true;
    this.inFlight?.controller.abort();
    this.wake?.();
    await this.tail;
  }

  private async apply(version: number, percent: number): Promise<MirrorResult> {
    const attempts = Math.max(1, this.options.attempts ?? 3);
    const superseded = (tried: number): MirrorResult => {
      this.options.logger.debug({ flag: this.options.flagName, rollout: percent, stateVersion: version }, 'unleash mirror: superseded by a newer state');
      return { ok: false, percent, version, attempts: tried, superseded: true };
    };
    let error = '';
    let tried = 0;
    while (tried < attempts) {
      if (this.closed || version < this.latestVersion) return superseded(tried);
      tried++;
      const controller = new AbortController();
      this.inFlight = { version, controller };
      let failure: unknown;
      try {
        const action = await this.write(percent, controller.signal);
        return this.report({ ok: true, percent, version, attempts: tried, action });
      } catch (err) {
        failure = err;
      } finally {
        this.inFlight = undefined;
      }
      if (controller.signal.aborted && (this.closed || version < this.latestVersion)) return superseded(tried);
      error = describe(failure);
      if (!retryable(failure) || tried >= attempts) break;
      this.options.logger.debug({ flag: this.options.flagName, rollout: percent, stateVersion: version, attempt: tried, error }, 'unleash mirror: retrying');
      await this.sleep(backoffDelay(tried - 1, this.options.backoffBaseMs ?? 250, this.options.backoffMaxMs ?? 4_000));
    }
    return this.report({ ok: false, percent, version, attempts: tried, error });
  }

  /** Lists the flag's strategies, then updates the flexibleRollout (or creates one). */
  private async write(percent: number, signal: AbortSignal): Promise<NonNullable<MirrorResult['action']>> {
    const strategies = await this.call<AdminStrategy[]>('GET', this.strategiesPath, undefined, signal);
    const rollouts = strategies.filter((s) => s.name === 'flexibleRollout');
    // Prefer the strategy bucketed like Cutover (same groupId) when the flag has several.
    const target = rollouts.find((s) => s.parameters?.groupId === this.groupId) ?? rollouts[0];
    const wanted: Record<string, string> = { rollout: String(percent), stickiness: 'userId', groupId: this.groupId };
    if (!target) {
      await this.call('POST', this.strategiesPath, { name: 'flexibleRollout', parameters: wanted, constraints: [] }, signal);
      return 'created';
    }
    // A JSON patch of the parameters only: constraints, segments and variants stay as operators set them.
    const patch = Object.entries(wanted)
      .filter(([key, value]) => target.parameters?.[key] !== value)
      .map(([key, value]) => ({ op: 'add', path: `/parameters/${key}`, value }));
    if (patch.length === 0) return 'unchanged';
    if (patch.some((p) => p.path !== '/parameters/rollout')) {
      this.options.logger.warn({ flag: this.options.flagName, strategyId: target.id, parameters: target.parameters }, 'unleash mirror: strategy was not bucketed like Cutover (stickiness userId, groupId); correcting it');
    }
    await this.call('PATCH', `${this.strategiesPath}/${encodeURIComponent(target.id)}`, patch, signal);
    return 'updated';
  }

  private async call<T = unknown>(method: string, path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { Authorization: this.options.adminToken, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.fetchTimeoutMs ?? 3_000)]),
    });
    const text = await response.text();
    if (!response.ok) throw new AdminApiError(response.status, `${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private report(result: MirrorResult): MirrorResult {
    const fields = { flag: this.options.flagName, rollout: result.percent, stateVersion: result.version, attempts: result.attempts };
    if (result.ok) this.options.logger.info({ ...fields, action: result.action }, 'unleash mirror: rollout written');
    else this.options.logger.warn({ ...fields, error: result.error }, 'unleash mirror: rollout not written; Unleash shows a stale cohort until the next change');
    try {
      this.options.onResult?.(result);
    } catch (err) {
      this.options.logger.error({ err }, 'unleash mirror: onResult threw');
    }
    return result;
  }

  /** A backoff pause that a newer state (or close) ends early. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** Worth another try: the network, a timeout, Unleash busy or failing; not a refusal (4xx). */
function retryable(err: unknown): boolean {
  if (err instanceof AdminApiError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return true;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch hides the socket error (ECONNREFUSED, ...) in `cause`.
  const cause = err.cause;
  const code = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  return code ? `${err.message} (${code})` : err.message;
}

import type { Static } from '@sinclair/typebox';
import type { UsageReport } from '../services/usage-meter.js';
import type {
  AuditEntrySchema, ChangeReply as ChangeReplySchema, DeadLetterSchema, OutboxCountsSchema, RolloutStateSchema, RouteInfo as RouteInfoSchema, StageName,
} from '../http/schemas.js';
import type { MigrationPlan, MigrationReport, MigrationStatus } from '../services/migration/migration-control.js';
import { humanDuration, oneLine } from './format.js';

export type { MigrationPlan, MigrationReport, MigrationStatus };

/** The admin API's wire shapes, from the schemas the gateway validates its replies against. */
export type RolloutState = Static<typeof RolloutStateSchema>;
export type Stage = Static<typeof StageName>;
export type ChangeReply = Static<typeof ChangeReplySchema>;
export type AuditEntry = Static<typeof AuditEntrySchema>;
export type OutboxCounts = Static<typeof OutboxCountsSchema>;
export type DeadLetter = Static<typeof DeadLetterSchema>;
export type RouteInfo = Static<typeof RouteInfoSchema>;

/** `GET /admin/rollout`; its schema is inline in the route, so it is restated here. */
export interface RolloutStatus {
  state: RolloutState;
  stateAgeMs: number;
  plan: { autoPromote: boolean; steps: Array<{ percent: number; bake: string }> };
  position: { index: number; current: number | null; next: number | null; bakedMs: number; bakeRemainingMs: number; readyToStep: boolean };
  /** Added by the guard loop when it exists; shown as it comes. */
  guard?: unknown;
  /** Which instance answered, and how big the cohort is. */
  instanceId?: string;
  cohort?: { newShareOfEligible: number; acceptedByPrimary: { old: number; new: number } };
}

export interface AuditPage {
  entries: AuditEntry[];
  next: string | null;
}

export interface OutboxStatus {
  counts: OutboxCounts;
  deadLetters: { old: DeadLetter[]; new: DeadLetter[] };
}

export interface ChangeOptions {
  force?: boolean;
  reason?: string;
  expectedVersion?: number;
}

/**
 * What the CLI reports when something went wrong: a stable code (the API's, or the CLI's own for
 * transport failures), a one-line message, and the next thing the operator can do about it.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    /** 1 for API and runtime errors, 2 for usage errors, 3 for differences a verify left. */
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
  }
}

/** The token a route needs: `service` for /v1 (which an operator token also opens; none when the gateway runs open). */
type Needs = 'service' | 'viewer' | 'operator';

export interface AdminClientOptions {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
}

export const BREAK_GLASS_EXAMPLE = 'cutover rollback --redis redis://HOST:6379 --reason "..."';

/** A typed client for Cutover's admin API. Every failure becomes a `CliError` with a next step. */
export class AdminClient {
  private readonly baseUrl: string;

  constructor(private readonly options: AdminClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.baseUrl;
  }

  rollout(signal?: AbortSignal): Promise<RolloutStatus> {
    return this.call('GET', '/admin/rollout', { needs: 'viewer', signal });
  }

  setPercent(percent: number, options: ChangeOptions = {}): Promise<ChangeReply> {
    return this.call('POST', '/admin/rollout/percent', { needs: 'operator', body: { percent, ...options } });
  }

  setStage(stage: Stage, options: ChangeOptions = {}): Promise<ChangeReply> {
    return this.call('POST', '/admin/rollout/stage', { needs: 'operator', body: { stage, ...options } });
  }

  step(options: ChangeOptions = {}): Promise<ChangeReply> {
    return this.call('POST', '/admin/rollout/step', { needs: 'operator', body: { ...options } });
  }

  rollback(reason: string): Promise<ChangeReply> {
    return this.call('POST', '/admin/rollout/rollback', { needs: 'operator', body: { reason } });
  }

  resume(options: { percent?: number; reason?: string; expectedVersion?: number } = {}): Promise<ChangeReply> {
    return this.call('POST', '/admin/rollout/resume', { needs: 'operator', body: { ...options } });
  }

  audit(options: { limit?: number; before?: string } = {}): Promise<AuditPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.before !== undefined) query.set('before', options.before);
    const search = query.toString();
    return this.call('GET', `/admin/audit${search ? `?${search}` : ''}`, { needs: 'viewer' });
  }

  outbox(deadLetters: number, signal?: AbortSignal): Promise<OutboxStatus> {
    return this.call('GET', `/admin/outbox?deadLetters=${deadLetters}`, { needs: 'viewer', signal });
  }

  usage(): Promise<UsageReport> {
    return this.call('GET', '/admin/usage', { needs: 'viewer' });
  }

  redrive(side: 'old' | 'new', limit: number, reason: string): Promise<{ side: string; redriven: number }> {
    return this.call('POST', '/admin/outbox/redrive', { needs: 'operator', body: { side, limit, reason } });
  }

  migrationPlan(): Promise<MigrationPlan> {
    return this.call('GET', '/admin/migration/plan', { needs: 'viewer' });
  }

  migrationStatus(signal?: AbortSignal): Promise<MigrationStatus> {
    return this.call('GET', '/admin/migration', { needs: 'viewer', signal });
  }

  migrationStart(request: { mode: 'copy' | 'verify'; redrive?: boolean; settle?: string; reason: string }): Promise<MigrationStatus> {
    return this.call('POST', '/admin/migration/start', { needs: 'operator', body: request });
  }

  migrationPause(reason: string): Promise<MigrationStatus> {
    return this.call('POST', '/admin/migration/pause', { needs: 'operator', body: { reason } });
  }

  migrationResume(reason: string): Promise<MigrationStatus> {
    return this.call('POST', '/admin/migration/resume', { needs: 'operator', body: { reason } });
  }

  migrationReport(offset: number, limit: number): Promise<MigrationReport> {
    return this.call('GET', `/admin/migration/report?offset=${offset}&limit=${limit}`, { needs: 'viewer' });
  }

  route(userId: string): Promise<RouteInfo> {
    return this.call('GET', `/v1/route/${encodeURIComponent(userId)}`, { needs: 'service' });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, request: { needs: Needs; body?: object; signal?: AbortSignal }): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const { signal, unlink } = request.signal ? linked(timeout, request.signal) : { signal: timeout, unlink: () => {} };

    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method, headers, signal, body: request.body === undefined ? undefined : JSON.stringify(withoutUndefined(request.body)),
      });
      text = await response.text();
    } catch (err) {
      throw this.transportError(err, timeout.aborted, request.needs === 'operator');
    } finally {
      unlink();
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError('BAD_REPLY', `${method} ${path} answered ${response.status} with a body that is not JSON`, `is ${this.baseUrl} a Cutover gateway? check --url`);
    }
    if (response.ok) return parsed as T;
    const error = apiError(parsed);
    if (!error) {
      throw new CliError('BAD_REPLY', `${method} ${path} answered ${response.status} without an error code`, `is ${this.baseUrl} a Cutover gateway? check --url`);
    }
    throw new CliError(error.code, oneLine(error.message), this.hintFor(error.code, request.needs, error.details, response.headers.get('x-request-id')));
  }

  private transportError(err: unknown, timedOut: boolean, isChange: boolean): CliError {
    if (timedOut) {
      const maybeDone = isChange ? 'the change may have been made: check cutover status before repeating it; ' : '';
      return new CliError(
        'TIMEOUT', `no answer from ${this.baseUrl} within ${humanDuration(this.options.timeoutMs)}`,
        `${maybeDone}check the gateway (or raise --timeout); to roll back without it, break glass: ${BREAK_GLASS_EXAMPLE}`,
      );
    }
    if (err instanceof Error && err.name === 'AbortError') return new CliError('ABORTED', 'interrupted', 'nothing to do');
    const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : String(err);
    return new CliError(
      'UNREACHABLE', `cannot connect to ${this.baseUrl} (${detail})`,
      `no gateway at ${this.baseUrl}; check --url, or break glass: ${BREAK_GLASS_EXAMPLE}`,
    );
  }

  private hintFor(code: string, needs: Needs, details: Record<string, unknown> | undefined, requestId: string | null): string {
    switch (code) {
      case 'UNAUTHORIZED': {
        const wanted = needs === 'operator' ? 'an operator token' : needs === 'service' ? 'an operator token or a service token (api.tokens)' : 'a viewer or operator token';
        return this.options.token
          ? `the gateway does not know this token; set CUTOVER_TOKEN to one listed in its ${needs === 'service' ? 'admin.tokens (operator) or api.tokens' : 'admin.tokens'}`
          : `set CUTOVER_TOKEN to ${wanted}`;
      }
      case 'FORBIDDEN':
        return needs === 'service'
          ? 'this needs an operator token or a service token (api.tokens); set CUTOVER_TOKEN to one (viewer tokens do not open /v1)'
          : 'this needs an operator token; set CUTOVER_TOKEN to one (viewer tokens only read)';
      case 'BAKE_NOT_DONE': {
        const left = typeof details?.bakeRemainingMs === 'number' ? ` ${humanDuration(details.bakeRemainingMs)}` : '';
        return `wait${left}, or pass --force --reason "why"`;
      }
      case 'VERSION_CONFLICT':
        return 'someone changed the state meanwhile; check cutover status, then run the command again if it still makes sense';
      case 'INVALID_TRANSITION':
        return 'cutover status shows where the rollout stands; the message says which move comes next';
      case 'INVALID_REQUEST':
      case 'INVALID_JSON':
        return 'check the arguments; every command explains them under --help';
      case 'STATE_UNAVAILABLE':
      case 'OUTBOX_UNAVAILABLE':
        return `the gateway cannot reach Redis; try again in a second. To roll back without a gateway: ${BREAK_GLASS_EXAMPLE}`;
      case 'NOT_ALL_VERIFIED':
        return 'cutover migrate verify --redrive --reason "..." verifies the rest; cutover migrate report shows what holds them back';
      case 'NO_MIGRATION':
        return 'cutover migrate plan shows what a job would move; cutover migrate start --reason "..." starts one';
      case 'MIGRATION_CONFLICT':
        return 'cutover migrate status shows the job; wait for it to finish, or pause it first';
      case 'NOT_FOUND':
        return `check the argument; if the path itself is unknown, is ${this.baseUrl} a Cutover gateway of this version?`;
      default:
        return requestId ? `see the gateway log for request ${requestId}` : 'see the gateway log';
    }
  }
}

function apiError(body: unknown): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof code !== 'string') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined,
  };
}

/** A signal that aborts when either does; `unlink` drops the listeners (watch makes a request a second for hours). */
function linked(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; unlink: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    unlink: () => {
      a.removeEventListener('abort', abort);
      b.removeEventListener('abort', abort);
    },
  };
}

/** Options left unset stay out of the body (the API rejects nothing extra, but keeps bodies honest). */
function withoutUndefined(body: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

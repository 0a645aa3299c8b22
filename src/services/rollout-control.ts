import type { Logger } from 'pino';
import { StateUnavailableError, VersionConflictError } from '../domain/errors.js';
import { randomUUID } from 'node:crypto';
import { rolledBackAfterLoss, type RolloutState } from '../domain/rollout-state.js';
import { applyChange, type StateChange } from '../domain/transitions.js';
import type { AuditEntry, Replication, StateStore } from './ports/state-store.js';
import type { StateView } from './state-view.js';

export interface Actor {
  name: string;
  role: AuditEntry['role'];
}

export interface ChangeOutcome {
  state: RolloutState;
  changed: boolean;
  note?: string;
  replication?: Replication;
}

const CAS_ATTEMPTS = 5;

/**
 * Changes the rollout state: the one path for people, the CLI's break glass and the guard.
 * Every write is compare-and-set on the version and audited in the same atomic step. With an
 * `expectedVersion` a conflict is the caller's to resolve (409); without one it re-reads and retries.
 */
export class RolloutControl {
  constructor(
    private readonly deps: { store: StateStore; view?: StateView; logger: Logger; clock?: () => number },
  ) {}

  /** `change` may be a function of the current state (a plan step is decided on the state it applies to). */
  async change(
    actor: Actor,
    change: StateChange | ((current: RolloutState) => StateChange),
    options: { reason?: string; expectedVersion?: number; action?: string; details?: Record<string, unknown> } = {},
  ): Promise<ChangeOutcome> {
    const clock = this.deps.clock ?? Date.now;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.read();
      if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
        throw new VersionConflictError(`state is at version ${current.version}, not ${options.expectedVersion}: someone changed it; re-read and decide again`, { details: { current } });
      }
      const decided = typeof change === 'function' ? change(current) : change;
      const { next, note } = applyChange(current, decided, actor.name, new Date(clock()));
      if (!next) return { state: current, changed: false, note };
      const audit: AuditEntry = {
        at: next.updatedAt, actor: actor.name, role: actor.role, action: options.action ?? decided.type, reason: options.reason ?? reasonOf(decided), details: options.details, before: current, after: next,
      };
      const result = await this.deps.store.compareAndSet(current.version, next, audit);
      if (result.ok) {
        // Forward only: a later state adopted while this write waited for its replicas stays.
        this.deps.view?.accept(result.state, false);
        this.deps.logger.info({ actor: actor.name, role: actor.role, action: audit.action, reason: audit.reason, stateVersion: next.version, stage: next.stage, percent: next.percent, rolledBack: next.rollback !== null }, 'rollout state changed');
        return { state: result.state, changed: true, replication: result.replication };
      }
      if (options.expectedVersion !== undefined) {
        throw new VersionConflictError('state changed while this change was applied; re-read and decide again', { details: { current: result.current } });
      }
    }
    throw new VersionConflictError(`state kept changing; ${CAS_ATTEMPTS} tries lost the race. Try again`);
  }

  /**
   * Rolls back when the store has no state at all (Redis lost its data): writes a fresh,
   * rolled-back record of a new generation (see `rolledBackAfterLoss`), which every running
   * instance adopts. If a record appears meanwhile, it is rolled back the ordinary way.
   */
  async rollbackAfterLoss(actor: Actor, reason: string, migration: string): Promise<ChangeOutcome> {
    const clock = this.deps.clock ?? Date.now;
    let stored: RolloutState | null;
    try {
      stored = await this.deps.store.read();
    } catch (err) {
      throw new StateUnavailableError('the state store (Redis) is unreachable; no change was made', { retryAfterSeconds: 1, cause: err });
    }
    if (stored) return this.change(actor, { type: 'rollback', trigger: 'manual', reason }, { reason, action: 'rollback' });
    const next = rolledBackAfterLoss(migration, new Date(clock()), randomUUID(), actor.name, reason);
    const audit: AuditEntry = { at: next.updatedAt, actor: actor.name, role: actor.role, action: 'rollback', reason, details: { recreated: true }, before: null, after: next };
    const result = await this.deps.store.compareAndSet(0, next, audit);
    if (!result.ok) return this.change(actor, { type: 'rollback', trigger: 'manual', reason }, { reason, action: 'rollback' });
    await this.deps.store.clearLoss().catch(() => undefined);
    this.deps.view?.accept(result.state, false);
    this.deps.logger.warn({ actor: actor.name, role: actor.role, generation: next.generation, stateVersion: next.version }, 'no rollout state was stored: wrote a fresh, rolled-back one');
    return {
      state: result.state, changed: true, replication: result.replication,
      note: 'no rollout state was stored (Redis lost its data?): wrote a fresh one, rolled back at shadow (everyone on old, new still gets every write). Check the stage with cutover status before resuming',
    };
  }

  private async read(): Promise<RolloutState> {
    let state: RolloutState | null;
    try {
      state = await this.deps.store.read();
    } catch (err) {
      throw new StateUnavailableError('the state store (Redis) is unreachable; no change was made. For an emergency rollback use: cutover rollback --redis URL --reason "..."', { retryAfterSeconds: 1, cause: err });
    }
    if (!state) throw new StateUnavailableError('no rollout state stored yet; start a gateway first', { retryAfterSeconds: 1 });
    return state;
  }
}

function reasonOf(change: StateChange): string | undefined {
  return change.type === 'rollback' ? change.reason : undefined;
}

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { StateUnavailableError } from '../domain/errors.js';
import { initialState, relateState, type RolloutState } from '../domain/rollout-state.js';
import type { StateStore } from './ports/state-store.js';
import type { Telemetry } from './ports/telemetry.js';

export interface StateViewOptions {
  store: StateStore;
  migration: string;
  pollIntervalMs: number;
  logger: Logger;
  telemetry: Telemetry;
  clock?: () => number;
  /** A new record's generation id. */
  newGeneration?: () => string;
  /** Who this instance is, in the note it leaves when the state record is gone. */
  instanceId?: string;
}

/**
 * This instance's copy of the rollout state: what every send and route lookup reads, in memory.
 * Kept fresh by pub/sub and a re-read every `pollIntervalMs`; when the store is away, or answers
 * that it has no state (Redis lost its data), it keeps the last known state (fail-static: never
 * flip users because Redis blinked). The store is the authority: whatever record a read returns
 * is adopted, a restored or re-created one too (a version that went backwards is counted as an
 * anomaly); a pub/sub event only ever moves forward, since events can arrive late.
 */
export class StateView {
  private state: RolloutState | undefined;
  private syncedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly listeners = new Set<(state: RolloutState, previous: RolloutState | undefined) => void>();
  private readonly clock: () => number;
  private pollFailing = false;
  /** The store answered that it has no state while this instance routes by one. */
  private recordMissing = false;
  /** Counts the states adopted, so a read can tell whether another one was adopted while it was out. */
  private adopted = 0;

  constructor(private readonly options: StateViewOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Loads the state (creating the initial one if the migration has none) and starts watching.
   * If an instance noted that the store lost the record, none is created: an `off` record would
   * stop dual-writes across the fleet; this waits (throws, the caller retries) until break glass
   * or an operator writes one.
   */
  async start(): Promise<void> {
    this.unsubscribe ??= this.options.store.subscribe((state) => this.accept(state, false));
    await this.refresh();
    if (!this.state) {
      const generation = (this.options.newGeneration ?? randomUUID)();
      const fresh = { ...initialState(this.options.migration, new Date(this.clock()), generation), version: 1 };
      // Refused, in the same atomic step, if an instance noted that the store lost the record.
      const result = await this.options.store.compareAndSet(0, fresh, {
        at: fresh.updatedAt, actor: 'system', role: 'system', action: 'init', before: null, after: fresh,
      }, { unlessLossNoted: true });
      if (!result.ok && result.lossNoted) {
        const loss = await this.options.store.lossNoted();
        throw new StateUnavailableError(
          `the rollout state was lost (noted by ${loss?.by ?? 'a gateway'} at ${loss?.at ?? '?'}); not creating a fresh one. Restore it: cutover rollback --redis URL --reason "..."`,
          { retryAfterSeconds: 1 },
        );
      }
      this.accept(result.ok ? result.state : result.current ?? fresh);
    }
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** The state to route by now. Throws only before the first successful read. */
  current(): RolloutState {
    if (!this.state) throw new StateUnavailableError('rollout state not loaded yet; the state store is unreachable', { retryAfterSeconds: 1 });
    return this.state;
  }

  get loaded(): boolean {
    return this.state !== undefined;
  }

  /** Milliseconds since the state was last confirmed against the store. */
  get ageMs(): number {
    return this.clock() - this.syncedAt;
  }

  onChange(listener: (state: RolloutState, previous: RolloutState | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the store now (after this instance wrote, or on a timer). */
  async refresh(): Promise<RolloutState | undefined> {
    const adoptedBefore = this.adopted;
    const state = await this.options.store.read();
    // A read answered after another state was adopted meanwhile (a pub/sub event overtook it) may
    // be older than what is held without anything having gone back: it only moves forward then.
    if (state) this.accept(state, this.adopted === adoptedBefore);
    else if (this.state) this.noteMissing();
    this.syncedAt = this.clock();
    return this.state;
  }

  /** The store has a record again (or still): clears a `missing` noted before. */
  private found(): void {
    if (this.recordMissing) this.options.telemetry.stateFound();
    this.recordMissing = false;
  }

  private noteMissing(): void {
    if (this.recordMissing) return;
    this.recordMissing = true;
    this.options.telemetry.stateAnomaly('missing');
    void this.options.store.noteLoss(this.options.instanceId ?? 'unknown', new Date(this.clock()).toISOString()).catch(() => undefined);
    this.options.logger.error(
      { stateVersion: this.state?.version },
      'the state store has no rollout state (Redis lost its data?); routing by the last state held. Restore it: cutover rollback --redis URL --reason "..."',
    );
  }

  /**
   * Takes `state` as the one to route by. `fromStore`: it was read from (or just written to) the
   * store, so it is the truth even when older; otherwise (a pub/sub event) only a newer version
   * of the same record is taken, and anything else makes the store be read again at once.
   */
  accept(state: RolloutState, fromStore = true): void {
    const previous = this.state;
    if (previous) {
      const relation = relateState(previous, state);
      if (relation === 'same') {
        this.found();
        return;
      }
      if (relation !== 'newer') {
        if (!fromStore) {
          void this.refresh().catch(() => undefined);
          return;
        }
        const kind = relation === 'older' ? 'version_backwards' : relation === 'recreated' ? 'generation_changed' : 'rewritten';
        this.options.telemetry.stateAnomaly(kind);
        this.options.logger.error(
          { anomaly: kind, held: { version: previous.version, generation: previous.generation }, stored: { version: state.version, generation: state.generation } },
          'the stored rollout state is not a later version of the one held (a restore, or a record created anew); routing by the stored one',
        );
      }
    }
    this.found();
    this.state = state;
    this.adopted++;
    this.syncedAt = this.clock();
    this.options.telemetry.state(state, 0);
    for (const listener of this.listeners) listener(state, previous);
  }

  private async poll(): Promise<void> {
    try {
      await this.refresh();
      if (this.pollFailing) this.options.logger.info({ stateVersion: this.state?.version }, 'state store reachable again');
      this.pollFailing = false;
    } catch (err) {
      if (!this.pollFailing) {
        this.options.logger.warn({ err: { message: (err as Error).message }, stateVersion: this.state?.version }, 'state store unreachable; keeping the last known state');
      }
      this.pollFailing = true;
    }
    if (this.state) this.options.telemetry.state(this.state, this.ageMs / 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}

import type { Logger } from 'pino';
import { StateUnavailableError } from '../domain/errors.js';
import { initialState, type RolloutState } from '../domain/rollout-state.js';
import type { StateStore } from './ports/state-store.js';
import type { Telemetry } from './ports/telemetry.js';

export interface StateViewOptions {
  store: StateStore;
  migration: string;
  pollIntervalMs: number;
  logger: Logger;
  telemetry: Telemetry;
  clock?: () => number;
}

/**
 * This instance's copy of the rollout state: what every send and route lookup reads, in memory.
 * Kept fresh by pub/sub and a re-read every `pollIntervalMs`; when the store is away it keeps the
 * last known state (fail-static: never flip users because Redis blinked). Versions only go up.
 */
export class StateView {
  private state: RolloutState | undefined;
  private syncedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly listeners = new Set<(state: RolloutState, previous: RolloutState | undefined) => void>();
  private readonly clock: () => number;
  private pollFailing = false;

  constructor(private readonly options: StateViewOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Loads the state (creating the initial one if the migration has none) and starts watching. */
  async start(): Promise<void> {
    this.unsubscribe = this.options.store.subscribe((state) => this.accept(state));
    await this.refresh();
    if (!this.state) {
      const fresh = { ...initialState(this.options.migration, new Date(this.clock())), version: 1 };
      const result = await this.options.store.compareAndSet(0, fresh, {
        at: fresh.updatedAt, actor: 'system', role: 'system', action: 'init', before: null, after: fresh,
      });
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
    const state = await this.options.store.read();
    if (state) this.accept(state);
    this.syncedAt = this.clock();
    return this.state;
  }

  /** Takes a state if it is newer than the one held; older or equal ones are echoes. */
  accept(state: RolloutState): void {
    const previous = this.state;
    if (previous && state.version <= previous.version) return;
    this.state = state;
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

import type { AdapterFailure } from '../../adapters/adapter-error.js';
import type { Side } from '../../domain/message.js';
import type { RolloutState } from '../../domain/rollout-state.js';
import type { OutboxCounts } from './outbox.js';

export type AdapterOp = 'send' | 'history' | 'health';
export type CallOutcome = 'ok' | AdapterFailure;
/**
 * `pending`: the primary answered ambiguously (it may hold the message) and recovery finishes it;
 * `failed`: the primary side did not take it; `outbox_unavailable`: Redis could not record it.
 */
export type SendResult = 'accepted' | 'duplicate' | 'pending' | 'rejected' | 'failed' | 'outbox_unavailable';
/**
 * The stored rollout state, read back, was older than the one held (`version_backwards`: a restore
 * from an old backup), a record created anew (`generation_changed`: Redis lost it and someone wrote
 * a fresh one), the same version with other content (`rewritten`), or gone (`missing`).
 */
export type StateAnomaly = 'version_backwards' | 'generation_changed' | 'rewritten' | 'missing';
export type DualWriteResult = 'ok' | 'retry' | 'dead_letter' | 'recovered';

/**
 * What the services report as they work. The metrics registry implements it (and, later, the
 * guard's window counters listen to the same calls), so services never touch prom-client.
 */
export interface Telemetry {
  adapterCall(side: Side, op: AdapterOp, outcome: CallOutcome, seconds: number): void;
  message(primary: Side, result: SendResult): void;
  dualWrite(side: Side, result: DualWriteResult): void;
  outboxCounts(counts: OutboxCounts): void;
  state(state: RolloutState, syncedAgoSeconds: number): void;
  stateAnomaly(kind: StateAnomaly): void;
  /** The store has a state record again after `stateAnomaly('missing')`. */
  stateFound(): void;
}

/** Telemetry that records nothing (unit tests of services). */
export const NO_TELEMETRY: Telemetry = {
  adapterCall() {},
  message() {},
  dualWrite() {},
  outboxCounts() {},
  state() {},
  stateAnomaly() {},
  stateFound() {},
};

import type { AdapterFailure } from '../../adapters/adapter-error.js';
import type { Side } from '../../domain/message.js';
import type { RolloutState } from '../../domain/rollout-state.js';
import type { OutboxCounts } from './outbox.js';

export type AdapterOp = 'send' | 'history' | 'health';
export type CallOutcome = 'ok' | AdapterFailure;
/** `failed`: the primary side did not take it; `outbox_unavailable`: Redis could not record it. */
export type SendResult = 'accepted' | 'duplicate' | 'rejected' | 'failed' | 'outbox_unavailable';
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
}

/** Telemetry that records nothing (unit tests of services). */
export const NO_TELEMETRY: Telemetry = {
  adapterCall() {},
  message() {},
  dualWrite() {},
  outboxCounts() {},
  state() {},
};

import type { ConsistencyMode, MismatchKind } from '../../domain/consistency.js';

export type ConsistencyResult = 'match' | 'mismatch' | 'error' | 'skipped';

/**
 * Why a sampled read was not compared: the other side is not written (`not_dual_writing`), the
 * other side is the primary that just failed this read (`degraded`), or `maxInFlight` comparisons
 * were already running (`in_flight_limit`).
 */
export type ConsistencySkip = 'not_dual_writing' | 'degraded' | 'in_flight_limit';

/** What the consistency check reports; the metrics registry implements it. */
export interface ConsistencyTelemetry {
  consistencyChecked(mode: ConsistencyMode, result: Exclude<ConsistencyResult, 'skipped'>): void;
  consistencySkipped(mode: ConsistencyMode, reason: ConsistencySkip): void;
  consistencyMismatched(mode: ConsistencyMode, kind: MismatchKind, messages: number): void;
}

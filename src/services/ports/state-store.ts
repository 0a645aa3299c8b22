import type { RolloutState } from '../../domain/rollout-state.js';

/** One audited change: who, in what role, why, and the state before and after. */
export interface AuditEntry {
  at: string;
  actor: string;
  role: 'operator' | 'viewer' | 'system' | 'guard' | 'break-glass';
  action: string;
  reason?: string;
  /** Machine-readable facts behind the change (the guard's numbers). */
  details?: Record<string, unknown>;
  before: RolloutState | null;
  after: RolloutState;
}

/** How many replicas had a state write when it was answered (a store with no replicas says 0 of 0). */
export interface Replication {
  replicas: number;
  acked: number;
}

export type CasResult =
  | { ok: true; state: RolloutState; replication?: Replication }
  | { ok: false; current: RolloutState | null; lossNoted?: true };

/**
 * The versioned rollout record. Writes are compare-and-set on `version` and carry their audit
 * entry in the same atomic step, so a state never changes unaudited.
 */
export interface StateStore {
  /** The stored state, or null when this migration has none yet. */
  read(): Promise<RolloutState | null>;
  /**
   * Writes `next` iff the stored version is `expectedVersion` (0 = none stored yet) and, with
   * `unlessLossNoted`, no instance noted a loss (checked in the same atomic step); where the
   * store has replicas, answers once they have it too (or a short wait ran out: see `replication`).
   */
  compareAndSet(expectedVersion: number, next: RolloutState, audit: AuditEntry, options?: { unlessLossNoted?: boolean }): Promise<CasResult>;
  /** Calls `onChange` with every state another writer publishes. Returns an unsubscribe. */
  subscribe(onChange: (state: RolloutState) => void): () => void;
  /**
   * Leaves word that an instance found the record gone while it routed by one (the store lost
   * its data), so break-glass can tell a loss from a mistyped migration name.
   */
  noteLoss(by: string, at: string): Promise<void>;
  /** Who noted a loss and when, or null; cleared once a record is written anew (`clearLoss`). */
  lossNoted(): Promise<{ by: string; at: string } | null>;
  clearLoss(): Promise<void>;
  /** Audits an action that leaves the rollout state as it is (a migration job started, paused …). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest audit entries first. */
  audit(limit: number, beforeId?: string): Promise<Array<AuditEntry & { id: string }>>;
  close(): Promise<void>;
}

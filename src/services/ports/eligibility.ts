import type { Peer } from '../../domain/message.js';

/** Whether a user or channel may join the new cohort (targeting, allow and deny lists). */
export interface Eligibility {
  /** Synchronous and cheap: it runs on every send and route lookup. Never throws. */
  isEligible(peer: Peer): boolean;
  /** Resolves once flags are known (a bootstrap file or the first fetch). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

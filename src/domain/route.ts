import { inRollout } from './bucket.js';
import { otherSide, type Side } from './message.js';
import { isDualWriting, type RolloutState } from './rollout-state.js';

export interface RouteDecision {
  /** The side whose client SDK the user logs into, and the primary of messages to them. */
  cohort: Side;
  primary: Side;
  /** The side written after the primary, from the outbox; null when only one side is written. */
  secondary: Side | null;
}

type RouteState = Pick<RolloutState, 'stage' | 'percent' | 'rollback'>;

/**
 * The cohort of one user or channel. Pure and allocation-light: it runs on every send and
 * route lookup. Rollback wins over every stage; `complete` moves everyone, eligible or not.
 */
export function cohortOf(state: RouteState, bucket: number, eligible: boolean): Side {
  if (state.rollback !== null) return 'old';
  if (state.stage === 'complete') return 'new';
  if (state.stage === 'canary' && eligible && inRollout(bucket, state.percent)) return 'new';
  return 'old';
}

export function decideRoute(state: RouteState, bucket: number, eligible: boolean): RouteDecision {
  const cohort = cohortOf(state, bucket, eligible);
  return { cohort, primary: cohort, secondary: isDualWriting(state) ? otherSide(cohort) : null };
}

/** Share (0..1) of eligible users whose cohort is new under `state`. */
export function newShareOfEligible(state: RouteState): number {
  if (state.rollback !== null) return 0;
  if (state.stage === 'complete') return 1;
  return state.stage === 'canary' ? state.percent / 100 : 0;
}

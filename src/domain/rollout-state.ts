import type { Side } from './message.js';

/** off (old only) → shadow (old primary, new gets every write) → canary (the cohort on new, old gets every write) → complete (new only). */
export type Stage = 'off' | 'shadow' | 'canary' | 'complete';

export const STAGES: readonly Stage[] = ['off', 'shadow', 'canary', 'complete'];

export type RollbackTrigger = 'manual' | 'auto';

/** Where the rollout stood before a rollback, so a resume can return there. */
export interface ResumePoint {
  stage: Stage;
  percent: number;
}

export interface Rollback {
  trigger: RollbackTrigger;
  actor: string;
  reason: string;
  /** ISO time. */
  at: string;
  resumeTo: ResumePoint;
}

/** The one versioned record per migration every instance routes by. */
export interface RolloutState {
  migration: string;
  /**
   * Set once, when the record is created: a record created anew after the store lost the old one
   * (or restored from an old backup and rewritten) is told apart from the one an instance holds,
   * whatever their versions. Empty on records from builds that had none.
   */
  generation: string;
  /** Bumped by one on every change; every write is compare-and-set on it. */
  version: number;
  stage: Stage;
  /** Share of eligible users in the new cohort during `canary`, 0..100 with two decimals. */
  percent: number;
  rollback: Rollback | null;
  /** ISO time of the last change to stage or percent: the bake timer's start. */
  since: string;
  updatedAt: string;
  updatedBy: string;
}

export function initialState(migration: string, now: Date, generation = ''): RolloutState {
  const at = now.toISOString();
  return {
    migration,
    generation,
    version: 0,
    stage: 'off',
    percent: 0,
    rollback: null,
    since: at,
    updatedAt: at,
    updatedBy: 'system',
  };
}

/** How a stored record stands to the one held: the same, its next version, or something else. */
export type StateRelation = 'same' | 'newer' | 'older' | 'rewritten' | 'recreated';

export function relateState(held: RolloutState, stored: RolloutState): StateRelation {
  if ((stored.generation ?? '') !== (held.generation ?? '')) return 'recreated';
  if (stored.version !== held.version) return stored.version > held.version ? 'newer' : 'older';
  return stored.updatedAt === held.updatedAt ? 'same' : 'rewritten';
}

/**
 * The record break-glass writes when the store has none (Redis lost its data): version 1 of a new
 * generation, everyone on old, and `shadow` under the rollback so new still gets every write and
 * whatever the lost record said, no side misses a message meanwhile.
 */
export function rolledBackAfterLoss(migration: string, now: Date, generation: string, actor: string, reason: string): RolloutState {
  const state = { ...initialState(migration, now, generation), version: 1, stage: 'shadow' as const, updatedBy: actor };
  return { ...state, rollback: { trigger: 'manual', actor, reason, at: state.updatedAt, resumeTo: { stage: 'shadow', percent: 0 } } };
}

/** Whether this state writes every message to both sides. */
export function isDualWriting(state: Pick<RolloutState, 'stage' | 'rollback'>): boolean {
  if (state.stage === 'shadow' || state.stage === 'canary') return true;
  // A rollback from complete keeps writing new, so a resume loses nothing.
  return state.rollback !== null && state.stage === 'complete';
}

export type { Side };

import type { Side } from './message.js';

/** off → shadow → canary → complete; see DESIGN.md for what each means for writes. */
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

export function initialState(migration: string, now: Date): RolloutState {
  const at = now.toISOString();
  return {
    migration,
    version: 0,
    stage: 'off',
    percent: 0,
    rollback: null,
    since: at,
    updatedAt: at,
    updatedBy: 'system',
  };
}

/** Whether this state writes every message to both sides. */
export function isDualWriting(state: Pick<RolloutState, 'stage' | 'rollback'>): boolean {
  if (state.stage === 'shadow' || state.stage === 'canary') return true;
  // A rollback from complete keeps writing new, so a resume loses nothing.
  return state.rollback !== null && state.stage === 'complete';
}

export type { Side };

import { InvalidRequestError, InvalidTransitionError } from './errors.js';
import { STAGES, type RollbackTrigger, type RolloutState, type Stage } from './rollout-state.js';

export type StateChange =
  | { type: 'set-percent'; percent: number; force?: boolean }
  | { type: 'set-stage'; stage: Stage; force?: boolean }
  | { type: 'rollback'; trigger: RollbackTrigger; reason: string }
  | { type: 'resume'; percent?: number };

export interface ChangeResult {
  /** The state to write, or null when the change is a no-op (already so). */
  next: RolloutState | null;
  /** Why nothing changed, for the reply ("already rolled back"). */
  note?: string;
}

/** Whole hundredths only: the bucket space is 1..10000. */
export function validPercent(percent: number): boolean {
  return Number.isFinite(percent) && percent >= 0 && percent <= 100 && Math.abs(percent * 100 - Math.round(percent * 100)) < 1e-9;
}

/**
 * The stage machine and the rollback flag, as one pure function: what `change` makes of `state`.
 * Forward moves go one stage at a time; going back, or lowering the percent, needs `force`.
 * A rollback over a rollback, or a resume with none, changes nothing (idempotent).
 */
export function applyChange(state: RolloutState, change: StateChange, actor: string, now: Date): ChangeResult {
  const at = now.toISOString();
  const base = { ...state, version: state.version + 1, updatedAt: at, updatedBy: actor };
  switch (change.type) {
    case 'set-percent': {
      if (!validPercent(change.percent)) throw new InvalidRequestError('percent must be 0..100 in steps of 0.01');
      if (state.rollback) throw new InvalidTransitionError('rolled back: resume first (cutover resume), then change the percent');
      if (change.percent === state.percent) return { next: null, note: `percent is already ${state.percent}` };
      if (change.percent < state.percent && !change.force) {
        throw new InvalidTransitionError(`lowering the percent (${state.percent} → ${change.percent}) moves users back to old; pass force with a reason, or roll back`);
      }
      if (state.stage !== 'canary') {
        throw new InvalidTransitionError(state.stage === 'complete'
          ? 'stage is complete: everyone is on new; the percent no longer applies'
          : `the percent applies in the canary stage; move there first (cutover stage ${state.stage === 'off' ? 'shadow' : 'canary'})`);
      }
      return { next: { ...base, percent: change.percent, since: at } };
    }
    case 'set-stage': {
      if (state.rollback) throw new InvalidTransitionError('rolled back: resume first (cutover resume), then change the stage');
      if (change.stage === state.stage) return { next: null, note: `stage is already ${state.stage}` };
      const from = STAGES.indexOf(state.stage);
      const to = STAGES.indexOf(change.stage);
      if (to > from + 1) throw new InvalidTransitionError(`stages move one at a time: ${state.stage} → ${STAGES[from + 1]} next`);
      if (to < from && !change.force) throw new InvalidTransitionError(`going back from ${state.stage} to ${change.stage} needs force and a reason; to send everyone to old now, roll back`);
      if (change.stage === 'complete' && state.percent !== 100) {
        throw new InvalidTransitionError(`complete needs the rollout at 100 % first (now ${state.percent} %)`);
      }
      return { next: { ...base, stage: change.stage, since: at } };
    }
    case 'rollback': {
      if (state.rollback) return { next: null, note: `already rolled back by ${state.rollback.actor} at ${state.rollback.at}` };
      if (change.reason.trim().length < 3) throw new InvalidRequestError('a rollback needs a reason (at least 3 characters)');
      return {
        next: {
          ...base,
          rollback: { trigger: change.trigger, actor, reason: change.reason, at, resumeTo: { stage: state.stage, percent: state.percent } },
        },
      };
    }
    case 'resume': {
      if (!state.rollback) return { next: null, note: 'not rolled back; nothing to resume' };
      const { resumeTo } = state.rollback;
      const percent = change.percent ?? resumeTo.percent;
      if (!validPercent(percent)) throw new InvalidRequestError('percent must be 0..100 in steps of 0.01');
      if (percent > resumeTo.percent) {
        throw new InvalidTransitionError(`resume goes back to at most ${resumeTo.percent} %; raise the percent after resuming`);
      }
      return { next: { ...base, stage: resumeTo.stage, percent, rollback: null, since: at } };
    }
  }
}

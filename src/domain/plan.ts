import { BakeNotDoneError, InvalidTransitionError } from './errors.js';
import type { RolloutState } from './rollout-state.js';
import type { StateChange } from './transitions.js';

export interface PlanStep {
  percent: number;
  /** How long this step must run healthy before the next one. */
  bakeMs: number;
}

export interface Plan {
  steps: PlanStep[];
  /** Move to the next step by itself after the bake, when the guard says healthy. */
  autoPromote: boolean;
}

export interface PlanPosition {
  /** Index of the step the rollout is at or past (-1 before the first), in plan order. */
  index: number;
  current: PlanStep | null;
  next: PlanStep | null;
  bakedMs: number;
  /** What is left of the current step's bake (0 when done or when there is no current step). */
  bakeRemainingMs: number;
  /** `step` would move now: canary, not rolled back, a next step, the bake done. */
  readyToStep: boolean;
}

/** Where `state` stands in `plan`: the last step at or below its percent, and the bake so far. */
export function planPosition(plan: Plan, state: Pick<RolloutState, 'stage' | 'percent' | 'since' | 'rollback'>, now: number): PlanPosition {
  let index = -1;
  for (let i = 0; i < plan.steps.length; i++) if (plan.steps[i]!.percent <= state.percent) index = i;
  const current = index >= 0 ? plan.steps[index]! : null;
  const next = plan.steps[index + 1] ?? null;
  const bakedMs = Math.max(0, now - Date.parse(state.since));
  const bakeRemainingMs = current ? Math.max(0, current.bakeMs - bakedMs) : 0;
  const readyToStep = state.stage === 'canary' && state.rollback === null && next !== null && bakeRemainingMs === 0;
  return { index, current, next, bakedMs, bakeRemainingMs, readyToStep };
}

/** The position as plain numbers (percents, not steps), as status replies show it. */
export function positionSummary(position: PlanPosition) {
  return {
    index: position.index,
    current: position.current?.percent ?? null,
    next: position.next?.percent ?? null,
    bakedMs: position.bakedMs,
    bakeRemainingMs: position.bakeRemainingMs,
    readyToStep: position.readyToStep,
  };
}

/**
 * The change `cutover step` makes: the next step's percent, once the current step has baked
 * (unless forced). Only in `canary` and never while rolled back: a rollback holds until a person resumes.
 */
export function nextStep(plan: Plan, state: RolloutState, now: number, force = false): StateChange {
  if (state.rollback) throw new InvalidTransitionError('rolled back: nothing promotes until a person resumes (cutover resume)');
  if (state.stage !== 'canary') {
    const hint = state.stage === 'complete' ? 'the rollout is complete' : `move to canary first (cutover stage ${state.stage === 'off' ? 'shadow' : 'canary'})`;
    throw new InvalidTransitionError(`steps apply in the canary stage; ${hint}`);
  }
  const position = planPosition(plan, state, now);
  if (!position.next) throw new InvalidTransitionError('at the last step of the plan; next: cutover stage complete');
  if (position.bakeRemainingMs > 0 && !force) {
    throw new BakeNotDoneError(
      `step ${position.current!.percent} % has baked ${humanDuration(position.bakedMs)} of ${humanDuration(position.current!.bakeMs)}; wait ${humanDuration(position.bakeRemainingMs)} or force with a reason`,
      { details: { bakeRemainingMs: position.bakeRemainingMs, next: position.next.percent } },
    );
  }
  return { type: 'set-percent', percent: position.next.percent };
}

/**
 * A raise by hand (`cutover set`) keeps to the plan unless forced: it waits for the current step's
 * bake, and goes no further than the next step (skipping steps needs force and a reason).
 */
export function checkRaise(plan: Plan, state: RolloutState, percent: number, now: number): void {
  if (percent <= state.percent || state.stage !== 'canary' || state.rollback) return;
  const position = planPosition(plan, state, now);
  if (position.next && percent > position.next.percent) {
    throw new InvalidTransitionError(`${percent} % skips the plan's next step (${position.next.percent} %); raise to it first (cutover step), or pass force with a reason`);
  }
  if (position.bakeRemainingMs > 0) {
    throw new BakeNotDoneError(
      `step ${position.current!.percent} % has baked ${humanDuration(position.bakedMs)} of ${humanDuration(position.current!.bakeMs)}; wait ${humanDuration(position.bakeRemainingMs)} or force with a reason`,
      { details: { bakeRemainingMs: position.bakeRemainingMs, next: position.next?.percent ?? null } },
    );
  }
}

/** A plan is usable when its steps rise strictly within 0..100. */
export function checkPlan(plan: Plan): string | undefined {
  let previous = 0;
  for (const [i, step] of plan.steps.entries()) {
    if (!(step.percent > previous) || step.percent > 100) return `step ${i + 1} (${step.percent} %) must be above the step before it and at most 100`;
    if (Math.abs(step.percent * 100 - Math.round(step.percent * 100)) > 1e-9) return `step ${i + 1} (${step.percent} %) must be in 0.01 steps`;
    previous = step.percent;
  }
  return plan.steps.length === 0 ? 'a plan needs at least one step' : undefined;
}

/** `3h 5m`, `59m 57s`, `12s`: the two largest units, for messages. */
export function humanDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000) * 1000);
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ') || '0s';
}

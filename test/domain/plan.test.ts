import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BakeNotDoneError, InvalidTransitionError } from '../../src/domain/errors.js';
import { checkPlan, nextStep, planPosition, type Plan } from '../../src/domain/plan.js';
import { initialState, type RolloutState } from '../../src/domain/rollout-state.js';

const MIN = 60_000;
const plan: Plan = { autoPromote: false, steps: [{ percent: 1, bakeMs: 10 * MIN }, { percent: 5, bakeMs: 30 * MIN }, { percent: 100, bakeMs: 0 }] };
const T = Date.parse('2026-11-27T10:00:00Z');
const canary = (percent: number, sinceMs = T): RolloutState => ({
  ...initialState('m', new Date(sinceMs)), version: 7, stage: 'canary', percent, since: new Date(sinceMs).toISOString(),
});

test('the first step starts the canary at the first percent without a bake', () => {
  assert.deepEqual(nextStep(plan, canary(0), T), { type: 'set-percent', percent: 1 });
});

test('a step waits out its bake: refused one minute early, taken at the bake time', () => {
  const at1 = canary(1, T);
  assert.throws(() => nextStep(plan, at1, T + 9 * MIN), (err: unknown) => err instanceof BakeNotDoneError && /wait 1m/.test(err.message));
  assert.deepEqual(nextStep(plan, at1, T + 10 * MIN), { type: 'set-percent', percent: 5 });
});

test('force skips the bake', () => {
  assert.deepEqual(nextStep(plan, canary(1, T), T + MIN, true), { type: 'set-percent', percent: 5 });
});

test('a percent set by hand between steps bakes as the step below it and moves to the step above', () => {
  const position = planPosition(plan, canary(3, T), T + 4 * MIN);
  assert.deepEqual([position.current?.percent, position.next?.percent, position.bakeRemainingMs], [1, 5, 6 * MIN]);
  assert.deepEqual(nextStep(plan, canary(3, T), T + 10 * MIN), { type: 'set-percent', percent: 5 });
});

test('nothing steps while rolled back, outside canary, or past the last step', () => {
  const rolled: RolloutState = { ...canary(5), rollback: { trigger: 'auto', actor: 'guard', reason: 'x', at: '', resumeTo: { stage: 'canary', percent: 5 } } };
  assert.throws(() => nextStep(plan, rolled, T + 100 * MIN), /until a person resumes/);
  assert.throws(() => nextStep(plan, { ...canary(0), stage: 'shadow' }, T), /move to canary first \(cutover stage canary\)/);
  assert.throws(() => nextStep(plan, canary(100), T + 100 * MIN), InvalidTransitionError);
});

test('a plan must rise strictly, within 0..100, in 0.01 steps', () => {
  assert.equal(checkPlan(plan), undefined);
  assert.match(checkPlan({ autoPromote: false, steps: [{ percent: 5, bakeMs: 0 }, { percent: 5, bakeMs: 0 }] }) ?? '', /above the step before/);
  assert.match(checkPlan({ autoPromote: false, steps: [{ percent: 0.001, bakeMs: 0 }] }) ?? '', /0.01/);
  assert.match(checkPlan({ autoPromote: false, steps: [] }) ?? '', /at least one/);
});

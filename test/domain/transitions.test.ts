import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError, InvalidTransitionError } from '../../src/domain/errors.js';
import { initialState, type RolloutState } from '../../src/domain/rollout-state.js';
import { applyChange, type StateChange } from '../../src/domain/transitions.js';

const now = new Date('2026-11-27T10:00:00Z');
const start: RolloutState = { ...initialState('m', new Date('2026-11-27T09:00:00Z')), version: 1 };

function run(state: RolloutState, ...changes: StateChange[]): RolloutState {
  return changes.reduce((s, change) => applyChange(s, change, 'ops', now).next ?? s, state);
}

test('stages move forward one at a time', () => {
  const shadow = run(start, { type: 'set-stage', stage: 'shadow' });
  assert.equal(shadow.stage, 'shadow');
  assert.equal(shadow.version, 2);
  assert.throws(() => applyChange(start, { type: 'set-stage', stage: 'canary' }, 'ops', now), InvalidTransitionError);
});

test('complete only from 100 %', () => {
  const canary = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' }, { type: 'set-percent', percent: 50 });
  assert.throws(() => applyChange(canary, { type: 'set-stage', stage: 'complete' }, 'ops', now), /100 %/);
  const full = run(canary, { type: 'set-percent', percent: 100 }, { type: 'set-stage', stage: 'complete' });
  assert.equal(full.stage, 'complete');
});

test('going back a stage or lowering the percent needs force', () => {
  const canary = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' }, { type: 'set-percent', percent: 10 });
  assert.throws(() => applyChange(canary, { type: 'set-percent', percent: 5 }, 'ops', now), InvalidTransitionError);
  assert.equal(run(canary, { type: 'set-percent', percent: 5, force: true }).percent, 5);
  assert.throws(() => applyChange(canary, { type: 'set-stage', stage: 'shadow' }, 'ops', now), InvalidTransitionError);
  assert.equal(run(canary, { type: 'set-stage', stage: 'shadow', force: true }).stage, 'shadow');
});

test('percent must be 0..100 in 0.01 steps, and applies in canary only', () => {
  const canary = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' });
  for (const percent of [-1, 100.5, 1.001, Number.NaN]) {
    assert.throws(() => applyChange(canary, { type: 'set-percent', percent }, 'ops', now), InvalidRequestError, String(percent));
  }
  assert.equal(run(canary, { type: 'set-percent', percent: 0.07 }).percent, 0.07);
  assert.throws(() => applyChange(start, { type: 'set-percent', percent: 5 }, 'ops', now), /move there first \(cutover stage shadow\)/);
});

test('rollback records who, why, when and where to resume; a second rollback is a no-op', () => {
  const canary = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' }, { type: 'set-percent', percent: 25 });
  const rolled = run(canary, { type: 'rollback', trigger: 'manual', reason: 'errors up' });
  assert.deepEqual(rolled.rollback, { trigger: 'manual', actor: 'ops', reason: 'errors up', at: now.toISOString(), resumeTo: { stage: 'canary', percent: 25 } });
  const again = applyChange(rolled, { type: 'rollback', trigger: 'auto', reason: 'again' }, 'guard', now);
  assert.equal(again.next, null);
  assert.match(again.note ?? '', /already rolled back/);
});

test('while rolled back nothing moves forward until a resume', () => {
  const rolled = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'rollback', trigger: 'auto', reason: 'drill' });
  assert.throws(() => applyChange(rolled, { type: 'set-stage', stage: 'canary' }, 'ops', now), /resume first/);
  assert.throws(() => applyChange(rolled, { type: 'set-percent', percent: 5 }, 'ops', now), /resume first/);
});

test('resume restores the exact prior stage and percent, or a lower percent; never higher', () => {
  const canary = run(start, { type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' }, { type: 'set-percent', percent: 25 });
  const rolled = run(canary, { type: 'rollback', trigger: 'manual', reason: 'drill' });
  const resumed = run(rolled, { type: 'resume' });
  assert.deepEqual({ stage: resumed.stage, percent: resumed.percent, rollback: resumed.rollback }, { stage: 'canary', percent: 25, rollback: null });
  assert.equal(run(rolled, { type: 'resume', percent: 10 }).percent, 10);
  assert.throws(() => applyChange(rolled, { type: 'resume', percent: 30 }, 'ops', now), InvalidTransitionError);
  assert.equal(applyChange(canary, { type: 'resume' }, 'ops', now).next, null, 'resume with no rollback is a no-op');
});

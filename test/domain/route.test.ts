import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cohortOf, decideRoute } from '../../src/domain/route.js';
import type { Rollback, RolloutState, Stage } from '../../src/domain/rollout-state.js';

const rollback: Rollback = { trigger: 'manual', actor: 'ops', reason: 'test', at: '2026-01-01T00:00:00Z', resumeTo: { stage: 'canary', percent: 10 } };
const state = (stage: Stage, percent = 50, rolledBack = false): Pick<RolloutState, 'stage' | 'percent' | 'rollback'> =>
  ({ stage, percent, rollback: rolledBack ? rollback : null });

const IN = 100; // a bucket inside 50 %
const OUT = 9_000; // a bucket outside 50 %

test('off: everyone on old, nothing written to new', () => {
  assert.deepEqual(decideRoute(state('off'), IN, true), { cohort: 'old', primary: 'old', secondary: null });
});

test('shadow: old is primary for everyone and new gets every write', () => {
  assert.deepEqual(decideRoute(state('shadow'), IN, true), { cohort: 'old', primary: 'old', secondary: 'new' });
  assert.deepEqual(decideRoute(state('shadow'), OUT, false), { cohort: 'old', primary: 'old', secondary: 'new' });
});

test('canary: eligible users inside the percent are on new, old gets every write', () => {
  assert.deepEqual(decideRoute(state('canary'), IN, true), { cohort: 'new', primary: 'new', secondary: 'old' });
  assert.deepEqual(decideRoute(state('canary'), OUT, true), { cohort: 'old', primary: 'old', secondary: 'new' });
  assert.deepEqual(decideRoute(state('canary'), IN, false), { cohort: 'old', primary: 'old', secondary: 'new' }, 'not eligible stays on old');
});

test('canary at a bucket boundary: bucket == percent × 100 is in, one more is out', () => {
  assert.equal(cohortOf(state('canary', 12.34), 1234, true), 'new');
  assert.equal(cohortOf(state('canary', 12.34), 1235, true), 'old');
});

test('complete: everyone on new, eligible or not, and only new is written', () => {
  assert.deepEqual(decideRoute(state('complete', 100), OUT, false), { cohort: 'new', primary: 'new', secondary: null });
});

test('rollback over any stage puts everyone on old and keeps dual-writing where writes were dual', () => {
  for (const stage of ['shadow', 'canary', 'complete'] as const) {
    assert.deepEqual(decideRoute(state(stage, 100, true), IN, true), { cohort: 'old', primary: 'old', secondary: 'new' }, stage);
  }
  assert.deepEqual(decideRoute(state('off', 0, true), IN, true), { cohort: 'old', primary: 'old', secondary: null });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry, RolloutState, RolloutStatus } from '../../src/cli/admin-client.js';
import { formatAudit, formatCliError, formatOutbox, formatStatus, guardRows, humanDuration, planLine } from '../../src/cli/format.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function state(overrides: Partial<RolloutState> = {}): RolloutState {
  return {
    migration: 'default', generation: 'g1', version: 7, stage: 'canary', percent: 5, rollback: null,
    since: '2025-06-01T11:48:00Z', updatedAt: '2025-06-01T11:48:00Z', updatedBy: 'ops', ...overrides,
  };
}

function status(overrides: Partial<RolloutStatus> = {}, stateOverrides: Partial<RolloutState> = {}): RolloutStatus {
  return {
    state: state(stateOverrides),
    stateAgeMs: 400,
    plan: { autoPromote: false, steps: [{ percent: 1, bake: '30m' }, { percent: 5, bake: '1h' }, { percent: 10, bake: '2h' }] },
    position: { index: 1, current: 5, next: 10, bakedMs: 12 * 60_000, bakeRemainingMs: 48 * 60_000, readyToStep: false },
    ...overrides,
  };
}

test('durations read as the two largest units, rounded down', () => {
  assert.equal(humanDuration(400), '0.4s');
  assert.equal(humanDuration(45_900), '45s');
  assert.equal(humanDuration(12 * 60_000), '12m');
  assert.equal(humanDuration(12 * 60_000 + 30_500), '12m 30s');
  assert.equal(humanDuration(3 * 3_600_000 + 5 * 60_000 + 59_000), '3h 5m');
  assert.equal(humanDuration(3_600_000 + 30_000), '1h');
  assert.equal(humanDuration(2 * 86_400_000 + 4 * 3_600_000), '2d 4h');
  assert.equal(humanDuration(-5), '0s');
});

test('the plan line says the step, its bake so far of its total, and the next percent', () => {
  assert.equal(planLine(status()), 'step 5 % baking 12m of 1h, next 10 %');
  assert.equal(
    planLine(status({ position: { index: 1, current: 5, next: 10, bakedMs: 3_700_000, bakeRemainingMs: 0, readyToStep: true } })),
    'step 5 % baked 1h, next 10 %: ready (cutover step)',
  );
  assert.equal(planLine(status({}, { percent: 7 })), 'at 7 % (plan step 5 %) baking 12m of 1h, next 10 %');
  assert.equal(
    planLine(status({ position: { index: -1, current: null, next: 1, bakedMs: 0, bakeRemainingMs: 0, readyToStep: true } }, { percent: 0 })),
    'before the first step; next 1 % (cutover step)',
  );
  assert.equal(planLine(status({}, { stage: 'shadow', percent: 0 })), 'steps apply in canary; next: cutover stage canary, then cutover step to 1 %');
  assert.match(planLine(status({ position: { index: 2, current: 10, next: null, bakedMs: 0, bakeRemainingMs: 0, readyToStep: false } }, { percent: 10 })), /the last step; next: cutover stage complete/);
});

test('a rolled-back status opens with a banner naming the trigger, actor, reason and time, and holds the plan', () => {
  const rollback = { trigger: 'auto' as const, actor: 'guard', reason: 'new error rate 4 % > 1 %', at: '2025-06-01T11:55:00Z', resumeTo: { stage: 'canary' as const, percent: 5 } };
  const text = formatStatus(status({}, { rollback }), { now: NOW, url: 'http://gw:8080' });
  const lines = text.split('\n');
  assert.equal(lines[0], '*** ROLLED BACK: everyone is on old; dual-writes go on ***');
  assert.equal(lines[1], 'trigger    auto, by guard at 2025-06-01 11:55:00Z (5m ago)');
  assert.equal(lines[2], 'reason     "new error rate 4 % > 1 %"');
  assert.match(text, /^plan +held at 5 % while rolled back; nothing steps until cutover resume$/m);
  assert.match(text, /^state +version 7, changed 12m ago by ops \(2025-06-01 11:48:00Z\)$/m);
});

test("status shows the guard's verdict and the traffic it judged, and flags a stale state", () => {
  const report = {
    verdict: 'breach', reason: 'error-rate 4.00% over 1.00% (2/3s)', rule: 'error-rate', second: 1,
    old: { requests: 2000, errorRate: 0.001, p99Ms: 88.4 }, new: { requests: 500, errorRate: 0.04, p99Ms: null }, checks: [],
  };
  const text = formatStatus(status({ guard: { enabled: true, report }, stateAgeMs: 65_000 }), { now: NOW, url: 'http://gw:8080' });
  assert.match(text, /^guard +breach: error-rate 4\.00% over 1\.00% \(2\/3s\)$/m);
  assert.match(text, /^traffic +new 500 requests, 4\.00 % errors, p99 -; old 2000 requests, 0\.10 % errors, p99 88ms$/m);
  assert.match(text, /^synced +1m 5s ago {2}STALE: /m);
  assert.doesNotMatch(formatStatus(status(), { now: NOW, url: 'http://gw:8080' }), /guard|STALE/);
});

test('a guard that is off, not judging yet, or reports a shape this CLI does not know still shows', () => {
  assert.deepEqual(guardRows({ enabled: false, report: null }), [['guard', 'off: nothing rolls back by itself (config guard.enabled)']]);
  assert.deepEqual(guardRows({ enabled: true, report: null }), [['guard', 'on, no verdict yet']]);
  assert.deepEqual(guardRows({ mode: 'shadow', limits: { errorRate: 0.01 } }), [['guard', 'mode shadow, limits {"errorRate":0.01}']]);
});

test('audit lines say when, who in what role, what, before → after and why', () => {
  const before = state({ percent: 5 });
  const after = state({ version: 8, rollback: { trigger: 'manual', actor: 'alice', reason: 'spike', at: '2025-06-01T11:59:00Z', resumeTo: { stage: 'canary', percent: 5 } } });
  const entries: AuditEntry[] = [
    { id: '2-0', at: '2025-06-01T11:59:00Z', actor: 'alice', role: 'break-glass', action: 'rollback', reason: 'spike', before, after },
    { id: '1-0', at: '2025-06-01T10:00:00Z', actor: 'system', role: 'system', action: 'init', before: null, after: state({ version: 1, stage: 'off', percent: 0 }) },
  ];
  assert.equal(formatAudit({ entries, next: '1-0' }), [
    '2025-06-01 11:59:00Z  v8  alice(break-glass)  rollback  canary 5 % → rolled back (manual)  "spike"',
    '2025-06-01 10:00:00Z  v1  system(system)      init      created off 0 %',
    'more: cutover history --before 1-0',
    '',
  ].join('\n'));
});

test('the outbox table aligns counts per side and lists dead letters by message id', () => {
  const text = formatOutbox({
    counts: { owed: { old: 0, new: 1234 }, retrying: { old: 0, new: 3 }, deadLettered: { old: 0, new: 1 }, unconfirmed: 2, waitingCommits: 4 },
    deadLetters: { old: [], new: [{ ref: '9-0', side: 'new', kind: 'recovery', record: { message: { id: 'm-1' } }, attempts: 15, reason: 'HTTP 500', at: NOW }] },
  });
  assert.equal(text, [
    'side  owed  retrying  dead-lettered',
    'old      0         0              0',
    'new   1234         3              1',
    'unconfirmed primaries: 2 (begun, not yet confirmed by their side)',
    'commits this gateway holds until Redis takes them: 4',
    '',
    'dead letters, newest first:',
    '  new  recovery  2025-06-01 12:00:00Z  15 tries  m-1  HTTP 500',
    '',
  ].join('\n'));
});

test('an error is exactly two lines: the code and message, then what to do next', () => {
  assert.equal(
    formatCliError({ code: 'FORBIDDEN', message: 'vic has role viewer;\n this needs operator', hint: 'this needs an operator token' }),
    'cutover: FORBIDDEN: vic has role viewer; this needs operator\n  next: this needs an operator token\n',
  );
});

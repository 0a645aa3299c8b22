import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { DEFAULT_STREAK_RULES } from '../../src/domain/guard/failure-streak.js';
import { DEFAULT_GUARD_RULES } from '../../src/domain/guard/guard-rules.js';
import { emptyCounts, latencyBucket, type SecondSample } from '../../src/domain/guard/window.js';
import type { Plan } from '../../src/domain/plan.js';
import { applyChange } from '../../src/domain/transitions.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryStateStore } from '../../src/infra/memory/memory-state-store.js';
import { MemoryTrafficWindows } from '../../src/infra/memory/memory-traffic-windows.js';
import { Metrics } from '../../src/infra/metrics.js';
import { WebhookNotifier } from '../../src/infra/webhook-notifier.js';
import { Guard } from '../../src/services/guard.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';
import { RolloutControl } from '../../src/services/rollout-control.js';
import { StateView } from '../../src/services/state-view.js';

const logger = createLogger('silent');
const PLAN: Plan = { autoPromote: true, steps: [{ percent: 1, bakeMs: 60_000 }, { percent: 5, bakeMs: 60_000 }, { percent: 100, bakeMs: 0 }] };

/** A guard on in-memory parts with a clock the test moves; the rollout starts at canary 1 %. */
async function setup(t: TestContext, plan: Plan = PLAN) {
  let now = Date.parse('2026-11-27T10:00:00Z');
  const clock = () => now;
  const store = new MemoryStateStore();
  const view = new StateView({ store, migration: 'm', pollIntervalMs: 60_000, logger, telemetry: NO_TELEMETRY, clock });
  await view.start();
  t.after(() => view.stop());
  const control = new RolloutControl({ store, view, logger, clock });
  const ops = { name: 'ops', role: 'operator' as const };
  for (const change of [{ type: 'set-stage', stage: 'shadow' }, { type: 'set-stage', stage: 'canary' }, { type: 'set-percent', percent: 1 }] as const) {
    await control.change(ops, change);
  }
  const windows = new MemoryTrafficWindows();
  const metrics = new Metrics({ defaultMetrics: false });
  const guard = new Guard({
    windows, stateView: view, control, plan, rules: DEFAULT_GUARD_RULES, streakRules: DEFAULT_STREAK_RULES,
    notifier: { notify() {} }, telemetry: metrics, logger, instanceId: 'test', clock,
  });
  /** Adds `seconds` of traffic ending at the current second, then moves the clock past them. */
  const traffic = async (seconds: number, newErrorRate: number) => {
    const samples: SecondSample[] = [];
    for (let i = 0; i < seconds; i++) {
      const second = Math.floor(now / 1000);
      const sample: SecondSample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
      for (const [side, rate] of [['old', 0.01], ['new', newErrorRate]] as const) {
        sample.sides[side].requests = 100;
        sample.sides[side].errors = Math.round(100 * rate);
        sample.sides[side].latency[latencyBucket(30)] = 100;
      }
      samples.push(sample);
      now += 1_000;
    }
    await windows.add(samples);
  };
  return { guard, view, store, control, traffic, metrics, advance: (ms: number) => { now += ms; } };
}

test('auto-promotion: a healthy verdict after the bake moves to the next step, not before', async (t) => {
  const { guard, view, traffic } = await setup(t);
  await traffic(30, 0.01);
  assert.equal((await guard.evaluate())?.verdict, 'healthy');
  assert.equal(view.current().percent, 1, 'the bake (60 s) is not done');
  await traffic(35, 0.01);
  await guard.evaluate();
  assert.equal(view.current().percent, 5, 'promoted after a healthy bake');
  assert.equal(view.current().updatedBy, 'guard');
});

test('a breach rolls back with trigger auto and the numbers, and nothing promotes until a person resumes', async (t) => {
  const { guard, view, store, traffic, metrics, control } = await setup(t);
  await traffic(65, 0.5);
  const report = await guard.evaluate();
  assert.equal(report?.verdict, 'rollback');
  const state = view.current();
  assert.equal(state.rollback?.trigger, 'auto');
  assert.equal(state.rollback?.actor, 'guard');
  assert.match(state.rollback?.reason ?? '', /\d+\.\d+%/);
  const [entry] = await store.audit(1);
  assert.equal(entry?.role, 'guard');
  assert.ok(entry?.details?.rule);
  assert.match(await metrics.registry.getSingleMetricAsString('cutover_guard_actions_total'), /action="rollback"} 1/);

  await guard.evaluate();
  assert.equal((await store.audit(10)).filter((e) => e.action === 'rollback').length, 1, 'judging again does not roll back twice');
  await traffic(120, 0.01);
  await guard.evaluate();
  assert.equal(view.current().percent, 1, 'no promotion while rolled back');
  assert.notEqual(view.current().rollback, null);

  await control.change({ name: 'ops', role: 'operator' }, { type: 'resume' });
  assert.equal((await guard.evaluate())?.verdict === 'rollback', false, 'a resume judges only traffic since the resume');
});

test('a streak of new-side failures on this instance rolls back at once', async (t) => {
  const { guard, view } = await setup(t);
  for (let i = 0; i < DEFAULT_STREAK_RULES.consecutiveFailures; i++) {
    guard.onSend('old', 'ok');
    guard.onSend('new', 'unavailable');
  }
  const deadline = Date.now() + 1_000;
  while (!view.current().rollback && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.match(view.current().rollback?.reason ?? '', /failure streak: 20 new-side sends failed in a row/);
});

test('the rollback does not wait for webhooks, which are retried until they land', async (t) => {
  const bodies: string[] = [];
  let calls = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      calls++;
      if (calls < 3) { res.statusCode = 503; res.end(); return; }
      bodies.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-path`;
  const notifier = new WebhookNotifier([{ url }], logger, { attempts: 4, timeoutMs: 1_000, backoffBaseMs: 20 });
  const state = applyChange({
    migration: 'm', generation: 'g1', version: 1, stage: 'canary', percent: 5, rollback: null, since: '', updatedAt: '', updatedBy: '',
  }, { type: 'rollback', trigger: 'auto', reason: 'drill' }, 'guard', new Date()).next!;
  // notify() is synchronous (returns void): when it returns, nothing can have reached the receiver yet.
  const returned = notifier.notify({ event: 'rollback', trigger: 'auto', summary: 'rolled back', reason: 'drill', state });
  assert.equal(returned, undefined);
  assert.equal(calls, 0, 'notify returned before any delivery');
  await notifier.drain();
  assert.equal(calls, 3, 'two 503s, then delivered');
  const payload = JSON.parse(bodies[0]!) as { text: string; event: string; state: { rollback: { trigger: string } } };
  assert.equal(payload.text, 'rolled back', 'Slack-compatible text');
  assert.equal(payload.state.rollback.trigger, 'auto');
});

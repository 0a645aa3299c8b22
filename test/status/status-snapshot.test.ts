import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { LISTING_START } from '../../src/domain/migration/units.js';
import type { JobProgress } from '../../src/domain/migration/job.js';
import type { Cutover } from '../../src/main.js';
import { Metrics } from '../../src/infra/metrics.js';
import { histogramQuantile, type Bucket } from '../../src/http/status/histogram-quantile.js';
import { StatusSnapshotBuilder } from '../../src/http/status/snapshot-builder.js';
import type { StatusSnapshot } from '../../src/http/status/snapshot-schema.js';
import { OPERATOR_TOKEN, VIEWER_TOKEN, adminPost, buildCutover, canaryAt, until } from '../support/build-app.js';
import { awayFromMinuteEnd } from '../support/same-minute.js';

const USER = 'user-secret-4242';
const WEBHOOK_SECRET = 'hook-secret-b2f9c1d7e6';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough for these series (no escapes in our label values). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: match[3] === '+Inf' ? Infinity : Number(match[3]) });
  }
  return samples;
}

function metric(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length > 0, `${name} ${JSON.stringify(labels)} is on /metrics`);
  return found.reduce((total, s) => total + s.value, 0);
}

async function send(cutover: Cutover, i: number): Promise<number> {
  const res = await cutover.app.inject({
    method: 'POST', url: '/v1/messages', payload: { from: `${USER}-${i % 7}`, to: { type: 'user', id: `${USER}-${(i * 3) % 11}` }, payload: `m${i}` },
  });
  return res.statusCode;
}

async function snapshotOf(cutover: Cutover): Promise<StatusSnapshot> {
  const res = await cutover.app.inject({ method: 'GET', url: '/status/snapshot.json' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  return res.json<StatusSnapshot>();
}

test('histogramQuantile interpolates inside the bucket holding the rank, like Prometheus', () => {
  const buckets: Bucket[] = [{ le: 0.1, count: 10 }, { le: 0.5, count: 60 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
  assert.equal(histogramQuantile(0.5, buckets), 0.1 + 0.4 * (40 / 50)); // rank 50: 40 of the 50 in (0.1, 0.5]
  assert.equal(histogramQuantile(0.05, buckets), 0.05); // first bucket: from 0
  assert.equal(histogramQuantile(0.99, buckets), 0.5 + 0.5 * (39 / 40));
  assert.equal(histogramQuantile(0.99, [{ le: 0.1, count: 1 }, { le: Infinity, count: 5 }]), 0.1, 'a rank in +Inf answers the highest finite bound');
  assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }])), 'no observations: NaN');
});

test("the snapshot's numbers are the ones /metrics serves, counter for counter", async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 50);
  // Some new-side failures, so errors, retries and outcome classes are not all zero.
  cutover.services.memorySide('new')!.setFaults({ errorRate: 0.3 });
  for (let i = 0; i < 60; i++) await send(cutover, i);
  cutover.services.memorySide('new')!.setFaults({ errorRate: 0, latencyMs: 3 });
  for (let i = 60; i < 90; i++) await send(cutover, i);
  await until(async () => {
    const counts = await cutover.services.outbox.counts();
    return counts.owed.old + counts.owed.new + counts.unconfirmed === 0;
  }, 20_000, 'the outbox to drain');
  await new Promise((r) => setTimeout(r, 1_100)); // the outbox gauges are published once a second

  const metricsText = (await cutover.app.inject({ method: 'GET', url: '/metrics' })).body;
  const snapshot = await snapshotOf(cutover);
  const samples = parseMetrics(metricsText);

  let failures = 0;
  for (const side of ['old', 'new'] as const) {
    const s = snapshot.sides[side];
    for (const outcome of ['ok', 'timeout', 'unavailable', 'vendor_error', 'rejected'] as const) {
      assert.equal(s.sends.byOutcome[outcome], metric(samples, 'cutover_adapter_requests_total', { side, op: 'send', outcome }), `${side} ${outcome}`);
    }
    assert.equal(s.sends.total, metric(samples, 'cutover_adapter_requests_total', { side, op: 'send' }));
    assert.equal(s.sends.errors, s.sends.total - s.sends.byOutcome.ok);
    assert.equal(s.messages.accepted, metric(samples, 'cutover_messages_total', { primary: side, result: 'accepted' }));
    assert.equal(s.messages.failed, metric(samples, 'cutover_messages_total', { primary: side, result: 'failed' }));
    assert.equal(s.dualWrite.ok, metric(samples, 'cutover_dual_write_total', { side, result: 'ok' }));
    assert.equal(s.dualWrite.retry, metric(samples, 'cutover_dual_write_total', { side, result: 'retry' }));
    assert.equal(s.dualWrite.deadLetter, metric(samples, 'cutover_dual_write_total', { side, result: 'dead_letter' }));
    assert.equal(s.outbox.owed, metric(samples, 'cutover_outbox_owed', { side }));
    assert.equal(s.outbox.retrying, metric(samples, 'cutover_outbox_retrying', { side }));
    assert.equal(s.outbox.deadLetters, metric(samples, 'cutover_outbox_dead_letters', { side }));
    // The page's p50/p99 are histogram_quantile over the very buckets /metrics exposes.
    const buckets = samples
      .filter((x) => x.name === 'cutover_adapter_latency_seconds_bucket' && x.labels.side === side && x.labels.op === 'send')
      .map((x) => ({ le: x.labels.le === '+Inf' ? Infinity : Number(x.labels.le), count: x.value }));
    assert.equal(s.latency.sinceStart.samples, metric(samples, 'cutover_adapter_latency_seconds_count', { side, op: 'send' }));
    assert.equal(s.latency.sinceStart.p99Ms, histogramQuantile(0.99, buckets) * 1000);
    assert.equal(s.latency.sinceStart.p50Ms, histogramQuantile(0.5, buckets) * 1000);
    failures += s.sends.errors;
  }
  assert.ok(failures > 0 && snapshot.sides.new.dualWrite.retry + snapshot.sides.new.messages.failed > 0, 'the faults show up');
  assert.ok(snapshot.sides.old.sends.total > 0 && snapshot.sides.new.sends.total > 0, 'both sides got writes');
  assert.equal(snapshot.state?.stage, 'canary');
  assert.equal(snapshot.state?.percent, metric(samples, 'cutover_state_percent', {}));
  assert.equal(snapshot.state?.version, metric(samples, 'cutover_state_version', {}));
});

test('rates are counter deltas over the time between two snapshots; the first has none', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 50);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const { services } = cutover;
  const builder = new StatusSnapshotBuilder({
    registry: services.metrics.registry, migration: 'default', plan: services.config.plan, adapters: { old: 'memory', new: 'memory' },
    state: () => services.stateView.current(), stateAgeMs: () => 0,
    guard: { enabled: false, report: () => null }, audit: (limit) => services.stateStore.audit(limit), clock: () => now,
  });
  const first = await builder.snapshot();
  assert.equal(first.rateWindowMs, null);
  assert.equal(first.sides.old.sendsPerSecond, null);

  for (let i = 0; i < 20; i++) assert.equal(await send(cutover, i), 201);
  await until(async () => (await services.outbox.counts()).owed.old + (await services.outbox.counts()).owed.new === 0, 10_000, 'the outbox to drain');
  now += 2_000;
  const second = await builder.snapshot();
  assert.equal(second.rateWindowMs, 2_000);
  for (const side of ['old', 'new'] as const) {
    const sent = second.sides[side].sends.total - first.sides[side].sends.total;
    assert.equal(sent, 20, `every message reached ${side} (primary or dual-write)`);
    assert.equal(second.sides[side].sendsPerSecond, sent / 2);
    assert.equal(second.sides[side].errorRatio, 0);
    assert.equal(second.sides[side].latency.window.samples, 20);
  }
  assert.equal(second.sides.old.messages.acceptedPerSecond! + second.sides.new.messages.acceptedPerSecond!, 10, 'twenty accepted over two seconds');

  now += 100;
  assert.equal(await builder.snapshot(), await builder.snapshot(), 'viewers polling together share one build');
});

test('the page and its snapshot need no token and show no token, webhook secret or user id', async (t) => {
  const cutover = await buildCutover(t, { 'guard.webhooks': [{ url: 'http://127.0.0.1:9/hook', headers: { authorization: `Bearer ${WEBHOOK_SECRET}` } }] });
  await canaryAt(cutover, 50);
  for (let i = 0; i < 20; i++) await send(cutover, i);
  const rollback = await adminPost(cutover, 'rollback', { reason: 'drill: new side p99 over 3 s' });
  assert.equal(rollback.statusCode, 200);

  const page = await cutover.app.inject({ method: 'GET', url: '/status' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'.*connect-src 'self'/);
  assert.doesNotMatch(page.body, /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing loaded from elsewhere');

  const snapshot = await snapshotOf(cutover);
  assert.equal(snapshot.state?.rollback?.reason, 'drill: new side p99 over 3 s');
  assert.equal(snapshot.state?.rollback?.actor, 'olga');
  assert.equal(snapshot.audit[0]?.action, 'rollback');
  assert.ok(snapshot.audit.length <= 10);
  const json = JSON.stringify(snapshot);
  for (const body of [page.body, json]) {
    for (const secret of [OPERATOR_TOKEN, VIEWER_TOKEN, WEBHOOK_SECRET, USER]) assert.ok(!body.includes(secret), `${secret} must not appear`);
  }
  assert.ok(!('before' in snapshot.audit[0]!) && !('after' in snapshot.audit[0]!), 'audit rows carry no full states');
});

test('the migration panel shows the fleet-wide job from the registry, a rate from its done gauge over the window, and this instance\'s errors', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  let now = Date.parse('2030-01-01T00:00:00Z');
  const builder = new StatusSnapshotBuilder({
    registry: metrics.registry, migration: 'default', plan: loadConfig({ env: {} }).plan, adapters: { old: 'memory', new: 'memory' },
    state: () => undefined, stateAgeMs: () => 0, guard: { enabled: false, report: () => null }, audit: async () => [], clock: () => now,
  });
  assert.equal((await builder.snapshot()).migrationJob, null, 'no job ever ran: the page shows its hint');

  const progress = (id: string, verified: number, status: JobProgress['job']['status'] = 'running'): JobProgress => ({
    job: {
      id, mode: 'verify', redrive: true, status, startedAt: now - 60_000, startedBy: 'olga', reason: 'verify and repair', finishedAt: null,
      settledBefore: now, expected: { users: 10, groups: 0, members: 0, conversations: 5, messages: 990 },
    },
    listing: LISTING_START,
    counters: { 'done.user': 10, 'messages.verified': verified, mismatches: 4, fixed: 3 },
    units: { open: 6, leased: 2 },
  });
  now += 1_000;
  metrics.migrationProgress(progress('verify-a', 190), 120, 7);
  metrics.migrationError('new', 'retry');
  metrics.migrationError('new', 'retry');
  metrics.migrationError('old', 'unit_failed');
  const first = (await builder.snapshot()).migrationJob;
  assert.deepEqual(first, {
    id: 'verify-a', mode: 'verify', status: 'running', done: 200, expected: 1000, progress: 0.2, itemsPerSecond: null, etaSeconds: 120,
    units: { open: 6, leased: 2 }, mismatches: { found: 4, fixed: 3 }, verifiedUsers: 7,
    errors: { old: { retries: 0, unitsPutBack: 1 }, new: { retries: 2, unitsPutBack: 0 } },
  });

  now += 5_000;
  metrics.migrationProgress(progress('verify-a', 440), null, 7);
  const second = (await builder.snapshot()).migrationJob;
  assert.equal(second?.itemsPerSecond, 250 / 5, 'done went 200 → 450 in five seconds');
  assert.equal(second?.etaSeconds, null, 'the gauge\'s -1 (unknown) is no ETA');

  now += 5_000;
  metrics.migrationProgress(progress('verify-b', 0), null, 7);
  const next = (await builder.snapshot()).migrationJob;
  assert.equal(next?.id, 'verify-b');
  assert.equal(next?.itemsPerSecond, null, 'no rate across two jobs');

  now += 5_000;
  metrics.migrationProgress(progress('verify-b', 990, 'done'), 0, 9);
  const done = (await builder.snapshot()).migrationJob;
  assert.equal(done?.status, 'done');
  assert.equal(done?.progress, 1);
});

test('the usage, cost and SLA rows show what a side was metered for, its priced bill and its SLA from the fleet gauges, and null where nothing is configured', async (t) => {
  const cutover = await buildCutover(t, {
    'billing.new': { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 150_000_000, overagePerUnit: 0.000003, budget: 300 },
    'sla.old': { availability: 99.9 },
  });
  // The gauges are set by the minute's usage report, which runs once at start.
  await until(async () => (await snapshotOf(cutover)).sides.new.cost !== null, 5_000, 'the first usage report');
  const snapshot = await snapshotOf(cutover);
  assert.deepEqual(snapshot.sides.new.cost, { currency: 'USD', projected: 399, monthToDate: 399, budget: 300 }, 'the package alone is over this budget');
  assert.equal(snapshot.sides.old.cost, null);
  const sla = snapshot.sides.old.sla!;
  assert.ok(Math.abs(sla.objective - 0.999) < 1e-12, String(sla.objective));
  assert.deepEqual([sla.availability, sla.budgetLeft], [1, 1], 'no sends yet: nothing spent');
  assert.equal(snapshot.sides.new.sla, null);
  assert.deepEqual(snapshot.sides.old.usage, { unit: 'message', units: 0, peakConcurrentUsers: 0 }, 'metered, priced or not');
  // Three senders (stage off: everyone's cohort is old) in one minute, then the minute's report.
  await awayFromMinuteEnd(10_000);
  for (let i = 0; i < 3; i++) assert.equal(await send(cutover, i), 201);
  await cutover.services.usage.flush();
  cutover.services.metrics.usageReport(await cutover.services.usage.report());
  await until(async () => (await snapshotOf(cutover)).sides.old.usage?.units === 3, 2_000, 'the snapshot past its cache');
  const metered = await snapshotOf(cutover);
  assert.deepEqual(metered.sides.old.usage, { unit: 'message', units: 3, peakConcurrentUsers: 3 });
  assert.deepEqual(metered.sides.new.usage, { unit: 'rtm-1kb', units: 0, peakConcurrentUsers: 0 }, 'nothing written to new');
  const page = await cutover.app.inject({ url: '/status' });
  assert.match(page.body, /id="new-cost"/);
  assert.match(page.body, /id="old-sla"/);
  assert.match(page.body, /id="old-usage"/);
});

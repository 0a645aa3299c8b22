import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { readinessGatedLoad } from '../support/readiness-gated-load.js';
import { driveToCanary, startStack, TOKEN } from '../support/stack.js';

const DRAIN_MS = 2_500;
/** The side latency of the one request timed to be in flight when the close begins, and how early before it it is sent. */
const STRADDLE_LATENCY_MS = 800;
const STRADDLE_LEAD_MS = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One POST on its own keep-alive connection; the status, the Connection header and the id. */
async function post(url: string, agent: Agent, id: string): Promise<{ status: number; connection: string | undefined; id: string }> {
  const res = await request(`${url}/v1/messages`, {
    method: 'POST', dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ id, from: 'probe', to: { type: 'user', id: `user-${id}` }, payload: id }),
  });
  await res.body.dump();
  return { status: res.statusCode, connection: res.headers.connection as string | undefined, id };
}

function logLine(log: string, msg: string): Record<string, unknown> | undefined {
  const line = log.split('\n').find((l) => l.includes(`"msg":"${msg}`));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
}

test('SIGTERM under load drops nothing: not ready at once, serving through the drain, in-flight requests finish, exit 0, every accepted message on both sides', async (t) => {
  const stack = await startStack(t);
  const side = (url: string) => JSON.stringify({ type: 'http-legacy', baseUrl: url, timeout: '2s', retries: 0 });
  const gateway = await stack.startGateway({
    CUTOVER_DRAIN_PERIOD: `${DRAIN_MS}ms`,
    // Room for the slow request below; the grace must exceed twice a write's longest time.
    CUTOVER_OLD_SIDE: side(stack.old.url), CUTOVER_NEW_SIDE: side(stack.fresh.url), CUTOVER_OUTBOX_INFLIGHT_GRACE: '5s', CUTOVER_OUTBOX_LEASE_TIMEOUT: '5s',
  });
  await driveToCanary(gateway, 50);
  await Promise.all([stack.old.setFaults({ latencyMs: 100 }), stack.fresh.setFaults({ latencyMs: 100 })]);

  const load = readinessGatedLoad({ url: gateway.url, senders: 16, token: TOKEN, prefix: 'drain', pollMs: 50 });
  await sleep(1_500);
  const exited = gateway.stop();
  const signalledAt = Date.now();
  await Promise.race([load.notReady, sleep(2_000).then(() => { throw new Error(`/readyz did not turn within 2 s of SIGTERM:\n${gateway.log}`); })]);
  const notReadyAfterMs = Date.now() - signalledAt;
  const result = await load.finish();
  console.log(`graceful drain, load: ${result.accepted.length} accepted, ${result.failed.length} failed ${JSON.stringify(result.failed.slice(0, 3))}; ` +
    `/readyz answered ${String(result.readiness.at(-1)?.status)} ${notReadyAfterMs} ms after SIGTERM`);
  assert.deepEqual(result.failed, [], 'no request reset or failed');
  assert.ok(result.accepted.length > 100, `the load reached the gateway before SIGTERM (${result.accepted.length} accepted)`);
  assert.equal(result.readiness[0]?.status, 200, 'ready before the signal');
  assert.equal(result.readiness.at(-1)?.status, 503, '/readyz answered 503, not a refused connection');

  // A client that has not heard yet: still served, and told to reconnect elsewhere.
  const late = new Agent({ connections: 1 });
  t.after(() => late.close());
  const lateAnswers = [];
  for (let i = 0; i < 3; i++) lateAnswers.push(await post(gateway.url, late, `drain-late-${i}`));
  const ready = await request(`${gateway.url}/readyz`);
  const readyBody = (await ready.body.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };

  // One request timed to be in flight when the drain period ends and the close begins.
  await Promise.all([stack.old.setFaults({ latencyMs: STRADDLE_LATENCY_MS }), stack.fresh.setFaults({ latencyMs: STRADDLE_LATENCY_MS })]);
  await sleep(signalledAt + DRAIN_MS - STRADDLE_LEAD_MS - Date.now());
  const straddler = new Agent({ connections: 1 });
  t.after(() => straddler.close());
  const straddled = await post(gateway.url, straddler, 'drain-straddling');

  await exited;
  const [oldIds, newIds] = await Promise.all([stack.old.messageIds(), stack.fresh.messageIds()]);
  const accepted = [...result.accepted, ...lateAnswers.filter((a) => a.status < 300).map((a) => a.id), ...(straddled.status < 300 ? [straddled.id] : [])];
  const onOld = new Set(oldIds);
  const onNew = new Set(newIds);
  const missing = accepted.filter((id) => !onOld.has(id) || !onNew.has(id));
  const closing = logLine(gateway.log, 'closing');
  console.log(`graceful drain, end: ${accepted.length} accepted (${result.accepted.length} load, ${lateAnswers.length} late, 1 straddling); ` +
    `old holds ${oldIds.length}, new ${newIds.length}, ${missing.length} accepted missing from a side; ` +
    `${String(closing?.inFlight)} in flight at the close; exit ${String(gateway.exitCode)}`);

  assert.equal(readyBody.ready, false);
  assert.equal(readyBody.checks.draining?.ok, false);
  assert.match(readyBody.checks.draining?.detail ?? '', /^draining: shutting down in \d+s$/);
  assert.deepEqual(lateAnswers.map((a) => [a.status, a.connection]), [[201, 'close'], [201, 'close'], [201, 'close']], 'POSTs still served while not ready, each closing its connection');
  assert.deepEqual([straddled.status, straddled.connection], [201, 'close'], 'the request in flight at the close was answered');
  assert.ok(Number(closing?.inFlight) >= 1, `the close began with that request in flight:\n${gateway.log}`);
  assert.ok(logLine(gateway.log, 'draining') && logLine(gateway.log, 'closed'), `draining, closing, closed are logged:\n${gateway.log}`);
  assert.equal(gateway.exitCode, 0, `exit 0:\n${gateway.log}`);
  assert.deepEqual(missing, [], 'every accepted message is on both sides');
});

test('a close that hangs past http.shutdownTimeout exits 1 and says so', async (t) => {
  const stack = await startStack(t);
  const side = (url: string) => JSON.stringify({ type: 'http-legacy', baseUrl: url, timeout: '10s', retries: 0 });
  const gateway = await stack.startGateway({
    CUTOVER_DRAIN_PERIOD: '0s', CUTOVER_SHUTDOWN_TIMEOUT: '1s',
    CUTOVER_OLD_SIDE: side(stack.old.url), CUTOVER_NEW_SIDE: side(stack.fresh.url), CUTOVER_OUTBOX_INFLIGHT_GRACE: '25s', CUTOVER_OUTBOX_LEASE_TIMEOUT: '25s',
  });
  await stack.old.setFaults({ latencyMs: 8_000 });
  const agent = new Agent({ connections: 1 });
  t.after(() => agent.close());
  const stuck = post(gateway.url, agent, 'drain-stuck').catch((err: Error) => err);
  await sleep(300);
  const signalledAt = Date.now();
  await gateway.stop();
  const tookMs = Date.now() - signalledAt;
  console.log(`hung close: exit ${String(gateway.exitCode)} after ${tookMs} ms`);
  assert.equal(gateway.exitCode, 1, gateway.log);
  assert.ok(tookMs < 4_000, `the deadline, not the 8 s write, ended it (${tookMs} ms)`);
  const timedOut = logLine(gateway.log, 'shutdown timed out');
  assert.equal(timedOut?.inFlight, 1, `logged with the request still in flight:\n${gateway.log}`);
  assert.ok((await stuck) instanceof Error, 'the stuck request was cut off, not answered');
});

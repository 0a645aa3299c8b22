import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SimProcess, type SimProcessOptions } from '../support/sim-process.js';
import { callJson } from '../support/json-call.js';

const ENTRY = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/sim/legacy-im-server.js');

const call = callJson;

function messageBody(from: string, to: string, sentAt: number): object {
  return { from, to: { type: 'user', id: to }, payload: 'hello', sentAt };
}

const sims: SimProcess[] = [];
const dirs: string[] = [];

async function startSim(options: SimProcessOptions = {}): Promise<SimProcess> {
  const sim = await SimProcess.start(options);
  sims.push(sim);
  return sim;
}

after(async () => {
  await Promise.all(sims.map((sim) => sim.destroy()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('legacy IM sim: contract routes', () => {
  let sim: SimProcess;
  before(async () => {
    sim = await startSim({ name: 'old' });
  });
  beforeEach(async () => {
    await sim.reset();
  });

  test('started with --port 0 it announces the port it bound, and /health answers ok with its name', async () => {
    assert.ok(sim.port > 0);
    assert.equal(sim.url, `http://127.0.0.1:${sim.port}`);
    assert.deepEqual(await call(`${sim.url}/health`, 'GET'), { status: 200, body: { ok: true, name: 'old' } });
  });

  test('PUT answers 201 for a new id and 200 for the same id again, storing one copy', async () => {
    const first = await call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1));
    const again = await call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1));
    assert.deepEqual(first, { status: 201, body: { id: 'm1', created: true } });
    assert.deepEqual(again, { status: 200, body: { id: 'm1', created: false } });
    assert.deepEqual(await sim.stats(), { stored: 1, duplicatesSuppressed: 1, puts: 2, failuresInjected: 0 });
  });

  test('PUT refuses a body missing sentAt with 400 and a body id unlike the path id with 422, storing nothing', async () => {
    const missing = await call(`${sim.url}/v1/messages/m1`, 'PUT', { from: 'ann', to: { type: 'user', id: 'ben' }, payload: 'x' });
    const mismatch = await call(`${sim.url}/v1/messages/m1`, 'PUT', { ...messageBody('ann', 'ben', 1), id: 'other' });
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys((missing.body as { error: object }).error).sort(), ['code', 'message']);
    assert.equal(mismatch.status, 422);
    assert.equal((await sim.stats()).stored, 0);
  });

  test('history refuses a limit outside 1..1000 with 400', async () => {
    for (const limit of [0, 1001]) {
      const reply = await call(`${sim.url}/v1/conversations/channel/general/messages?limit=${limit}`, 'GET');
      assert.equal(reply.status, 400, `limit ${limit}`);
    }
    assert.equal((await call(`${sim.url}/v1/conversations/channel/general/messages?limit=1000`, 'GET')).status, 200);
  });

  test('down:true answers 503 on every contract route, /health included, while /_sim keeps answering', async () => {
    await sim.setFaults({ down: true });
    assert.equal((await call(`${sim.url}/health`, 'GET')).status, 503);
    assert.equal((await call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1))).status, 503);
    assert.equal((await call(`${sim.url}/v1/conversations/user/ann/ben/messages`, 'GET')).status, 503);
    assert.equal((await sim.stats()).failuresInjected, 3);

    await sim.setFaults({ down: false });
    assert.equal((await call(`${sim.url}/health`, 'GET')).status, 200);
  });

  test('latencyMs delays contract replies but not the /_sim control API', async () => {
    await sim.setFaults({ latencyMs: 300 });
    let startedAt = performance.now();
    await call(`${sim.url}/health`, 'GET');
    assert.ok(performance.now() - startedAt >= 280, 'contract reply was not delayed');
    startedAt = performance.now();
    await sim.stats();
    assert.ok(performance.now() - startedAt < 250, 'control reply was delayed');
  });

  test('errorRate 1 with failAfterStore stores the message yet answers the injected status', async () => {
    await sim.setFaults({ errorRate: 1, status: 500, failAfterStore: true });
    const reply = await call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1));
    assert.equal(reply.status, 500);
    assert.deepEqual(await sim.messageIds(), ['m1']);
  });

  test('replyDelayMs stores the message first and then holds the answer: a client that gives up sooner finds it stored', async () => {
    await sim.setFaults({ replyDelayMs: 1_000 });
    const put = call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await sim.messageIds(), ['m1'], 'stored before the answer left');
    assert.equal((await put).status, 201);
  });

  test('GET /_sim/payloads lists each stored message id with its payload', async () => {
    await call(`${sim.url}/v1/messages/m1`, 'PUT', messageBody('ann', 'ben', 1));
    await call(`${sim.url}/v1/messages/m2`, 'PUT', { ...messageBody('ann', 'ben', 2), payload: 'again' });
    assert.deepEqual(await sim.payloads(), [{ id: 'm1', payload: 'hello' }, { id: 'm2', payload: 'again' }]);
  });

  test('POST /_sim/faults refuses an unknown fault name instead of ignoring it', async () => {
    const reply = await call(`${sim.url}/_sim/faults`, 'POST', { errorrate: 1 });
    assert.equal(reply.status, 400);
    const faults = (await call(`${sim.url}/_sim/faults`, 'GET')).body as { errorRate: number };
    assert.equal(faults.errorRate, 0);
  });
});

// Each of these owns its sim, so they can run side by side.
describe('legacy IM sim: process life', { concurrency: true }, () => {
  test('with an API key, contract routes answer 401 without the right bearer token while /_sim stays open', async () => {
    const sim = await startSim({ apiKey: 's3cret' });
    const body = messageBody('ann', 'ben', 1);
    assert.equal((await call(`${sim.url}/v1/messages/m1`, 'PUT', body)).status, 401);
    assert.equal((await call(`${sim.url}/v1/messages/m1`, 'PUT', body, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await call(`${sim.url}/health`, 'GET')).status, 401);
    assert.equal((await call(`${sim.url}/v1/messages/m1`, 'PUT', body, { authorization: 'Bearer s3cret' })).status, 201);
    assert.equal((await call(`${sim.url}/_sim/stats`, 'GET')).status, 200);
  });

  test('acknowledged messages survive SIGKILL: a restart on the same port reloads them from the data file', async () => {
    const sim = await startSim();
    for (const id of ['a1', 'a2', 'a3']) assert.equal((await call(`${sim.url}/v1/messages/${id}`, 'PUT', messageBody('ann', 'ben', 1))).status, 201);
    const port = sim.port;

    await sim.kill();
    await sim.restart();
    assert.equal(sim.port, port);
    assert.deepEqual((await sim.messageIds()).sort(), ['a1', 'a2', 'a3']);
    // A reloaded id is still a duplicate.
    assert.equal((await call(`${sim.url}/v1/messages/a1`, 'PUT', messageBody('ann', 'ben', 1))).status, 200);
  });

  test('SIGTERM makes it exit with code 0', async () => {
    const sim = await startSim();
    assert.equal(await sim.stop(), 0);
    assert.equal(sim.running, false);
  });

  test('reset forgets messages, stats and faults, and a restart does not bring the messages back', async () => {
    const sim = await startSim();
    await call(`${sim.url}/v1/messages/r1`, 'PUT', messageBody('ann', 'ben', 1));
    await sim.setFaults({ latencyMs: 5 });
    await sim.reset();

    assert.deepEqual(await sim.stats(), { stored: 0, duplicatesSuppressed: 0, puts: 0, failuresInjected: 0 });
    assert.equal((await sim.setFaults({})).latencyMs, 0);
    await sim.restart();
    assert.deepEqual(await sim.messageIds(), []);
  });

  test('a torn last line in the data file is skipped with a warning, and messages appended after it reload intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-sim-test-'));
    dirs.push(dir);
    const dataFile = join(dir, 'messages.jsonl');
    const kept = { id: 'kept', from: 'ann', to: { type: 'user', id: 'ben' }, payload: 'x', sentAt: 1 };
    writeFileSync(dataFile, JSON.stringify(kept) + '\n{"id":"torn","fr');

    const sim = await startSim({ dataFile });
    assert.deepEqual(await sim.messageIds(), ['kept']);
    assert.match(sim.log, /skipped unreadable lines/);
    assert.equal((await call(`${sim.url}/v1/messages/after`, 'PUT', messageBody('ann', 'ben', 2))).status, 201);

    await sim.restart();
    assert.deepEqual((await sim.messageIds()).sort(), ['after', 'kept']);
  });
});

test('--help explains the flags', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [ENTRY, '--help']);
  for (const flag of ['--port', '--host', '--data', '--api-key', '--name', '--webhook-url', '--webhook-secret']) assert.match(stdout, new RegExp(flag));
  assert.match(stdout, /LEGACY_IM_WEBHOOK_SECRET/);
  assert.match(stdout, /"event":"listening"/);
});

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Cutover } from '../../src/main.js';
import { buildCutover } from '../support/build-app.js';

const NAME_RULE = /must not hold whitespace, a slash, a backslash or a control character, nor be only dots/;
const MESSAGE_ID_RULE = /must be letters, digits and _ \. : - only, and not only dots/;

/**
 * A request over real HTTP with the path sent as written: inject() (like any WHATWG URL parser)
 * resolves `..` and `%2E%2E` before routing, which a plain HTTP request does not.
 */
async function rawGet(cutover: Cutover, path: string): Promise<{ status: number; body: any }> {
  const { port } = cutover.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('ids that are only dots or hold control characters are refused on every /v1 path, in words', async (t) => {
  const cutover = await buildCutover(t);
  await cutover.app.listen({ host: '127.0.0.1', port: 0 });
  const bad = ['%2E%2E', '%2e%2e', '..', '...', '%2E%2E%2E', 'a%00b', 'a%01', 'a%1Fb', 'a%7Fb', 'a%C2%85b', 'a%0Ab'];
  for (const id of bad) {
    for (const path of [
      `/v1/route/${id}`,
      `/v1/conversations/user/${id}/bob/messages`,
      `/v1/conversations/user/alice/${id}/messages`,
      `/v1/conversations/channel/${id}/messages?as=alice`,
      `/v1/conversations/channel/general/messages?as=${id}`,
    ]) {
      const res = await rawGet(cutover, path);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'INVALID_REQUEST', path);
      assert.match(res.body.error.message, NAME_RULE, path);
    }
  }
});

test('a send whose message, sender or recipient id is only dots or holds a control character is refused, and nothing is written', async (t) => {
  const cutover = await buildCutover(t);
  const send = (body: Record<string, unknown>) => cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi', ...body } });
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ id: '.' }, MESSAGE_ID_RULE],
    [{ id: '..' }, MESSAGE_ID_RULE],
    [{ id: '....' }, MESSAGE_ID_RULE],
    [{ id: 'm\u0000' }, MESSAGE_ID_RULE],
    [{ from: '..' }, NAME_RULE],
    [{ from: 'al\u0007ice' }, NAME_RULE],
    [{ to: { type: 'user', id: '.' } }, NAME_RULE],
    [{ to: { type: 'user', id: 'b\u007fob' } }, NAME_RULE],
    [{ to: { type: 'channel', id: '...' } }, NAME_RULE],
    [{ to: { type: 'channel', id: 'gen\u001beral' } }, NAME_RULE],
  ];
  for (const [body, rule] of cases) {
    const res = await send(body);
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
    assert.equal(res.json().error.code, 'INVALID_REQUEST');
    assert.match(res.json().error.message, rule, JSON.stringify(body));
  }
  assert.equal(cutover.services.memorySide('old')!.size + cutover.services.memorySide('new')!.size, 0);

  // Dots among other characters are ids like any other.
  for (const [id, from, to] of [['m.1', '.alice', 'bob.'], ['..m', 'a..b', 'v1.2']]) {
    const res = await send({ id, from, to: { type: 'user', id: to } });
    assert.equal(res.statusCode, 201, res.body);
  }
  assert.equal((await cutover.app.inject({ url: '/v1/route/.alice' })).statusCode, 200);
});

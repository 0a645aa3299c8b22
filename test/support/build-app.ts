import type { TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/infra/logger.js';
import { createCutover, type Cutover } from '../../src/main.js';

export const OPERATOR_TOKEN = 'operator-token-0123456789';
export const VIEWER_TOKEN = 'viewer-token-0123456789ab';

/** A started Cutover (embedded default unless overridden), closed when the test ends. */
export async function buildCutover(t: TestContext, overrides: Record<string, unknown> = {}): Promise<Cutover> {
  const config = loadConfig({
    env: {},
    overrides: {
      'admin.tokens': [
        { name: 'olga', role: 'operator', token: OPERATOR_TOKEN },
        { name: 'victor', role: 'viewer', token: VIEWER_TOKEN },
      ],
      'http.logLevel': 'silent',
      ...overrides,
    },
  });
  const cutover = await createCutover(config, { logger: createLogger('silent'), instanceId: 'test' });
  await cutover.start();
  t.after(() => cutover.close());
  return cutover;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Drives the rollout through the admin API as the operator. */
export async function adminPost(cutover: Cutover, path: string, body: unknown): Promise<LightMyRequestResponse> {
  return cutover.app.inject({ method: 'POST', url: `/admin/rollout/${path}`, headers: bearer(OPERATOR_TOKEN), payload: body as Record<string, unknown> });
}

/** off → shadow → canary at `percent`. */
export async function canaryAt(cutover: Cutover, percent: number): Promise<void> {
  for (const [path, body] of [['stage', { stage: 'shadow' }], ['stage', { stage: 'canary' }], ['percent', { percent, force: true, reason: 'test set-up: straight to the percent under test' }]] as const) {
    const res = await adminPost(cutover, path, body);
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

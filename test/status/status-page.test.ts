import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { GatewayProcess } from '../support/gateway-process.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'status-page-operator-token-0123';
const OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url));
/** Distinctive, so the test can tell that no user id reaches the page. */
const USER_PREFIX = 'user-7f3a';
const REASON = 'new side 5xx at 12 % in eu-west; INC-88';

/** Steady sends from a few loops until stopped, from and to many users. */
function traffic(gateway: GatewayProcess, loops = 6, pauseMs = 40) {
  let running = true;
  let accepted = 0;
  const workers = Array.from({ length: loops }, async (_, w) => {
    for (let i = 0; running; i++) {
      const res = await gateway.request('POST', '/v1/messages', {
        from: `${USER_PREFIX}-${(w * 37 + i) % 500}`, to: { type: 'user', id: `${USER_PREFIX}-${(w * 53 + i * 7) % 500}` }, payload: `hello ${i}`,
      }).catch(() => undefined);
      if (res?.status === 201) accepted++;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return { get accepted() { return accepted; }, async stop() { running = false; await Promise.all(workers); } };
}

async function admin(gateway: GatewayProcess, method: string, path: string, body: unknown): Promise<void> {
  const res = await gateway.request(method, path, body, TOKEN);
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(res.body)}`);
}

async function numberIn(page: Page, id: string): Promise<number> {
  return Number(((await page.locator(`#${id}`).textContent()) ?? '').replace(/[^0-9.]/g, ''));
}

/** Polls from the test's side: the page's CSP rightly forbids evaluating strings in it. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The few browser globals the test reads (the project compiles without the DOM library). */
interface BrowserGlobals {
  innerWidth: number;
  document: { documentElement: { scrollWidth: number } };
}

test('the status page of a running gateway shows traffic as it flows, then the rollback banner with its reason', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/test-setup.sh (installs Debian's chromium)`);
  await mkdir(OUTPUT, { recursive: true });
  const gateway = await GatewayProcess.start({ CUTOVER_ADMIN_TOKENS: `ops:operator:${TOKEN}` });
  t.after(() => gateway.stop());
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  // Only the gateway itself: the page must work on a cluster without internet.
  const foreign: string[] = [];
  page.on('request', (request) => { if (!request.url().startsWith(gateway.url) && !request.url().startsWith('data:')) foreign.push(request.url()); });

  await page.goto(`${gateway.url}/status`);
  await page.locator('#live.ok').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#stage-pill').textContent(), 'off');
  assert.equal(await numberIn(page, 'new-total'), 0, 'no sends yet');
  assert.equal(await page.locator('#guard-verdict').textContent(), 'not judging');
  assert.equal(await page.locator('#cmd-rollback').textContent(), `cutover rollback --url ${gateway.url} --reason "..."`);
  assert.equal(await page.locator('#cmd-resume').textContent(), `cutover resume --url ${gateway.url} --reason "..."`);
  assert.equal(await page.locator('#migrate-none').textContent(), 'no migration job yet: cutover migrate plan');
  assert.equal(await page.locator('#new-usage').textContent(), 'no usage report yet', 'no price table or SLA here: the minute\'s report is not made');
  assert.ok(await page.locator('#migrate-none').isVisible() && !(await page.locator('#migrate-job').isVisible()), 'the hint, not an empty job');

  // Canary at 10 %: both sides get every write (the cohort's primary on new, the rest on old).
  await admin(gateway, 'PUT', '/admin/sides/old/faults', { latencyMs: 4 });
  await admin(gateway, 'PUT', '/admin/sides/new/faults', { latencyMs: 2 });
  await admin(gateway, 'POST', '/admin/rollout/stage', { stage: 'shadow' });
  await admin(gateway, 'POST', '/admin/rollout/stage', { stage: 'canary' });
  await admin(gateway, 'POST', '/admin/rollout/percent', { percent: 10, force: true, reason: 'test set-up: straight to 10 %' });
  const load = traffic(gateway);
  t.after(() => load.stop());

  await until(async () => await numberIn(page, 'new-rate') > 0 && await numberIn(page, 'old-rate') > 0, 10_000, 'send rates above 0 on both sides');
  assert.equal(await page.locator('#stage-pill').textContent(), 'canary');
  assert.equal(await page.locator('#percent-pill').textContent(), '10 %');
  assert.ok(await numberIn(page, 'new-total') > 0, 'new-side sends counted');
  assert.ok(await numberIn(page, 'old-total') > 0, 'old-side sends counted');
  assert.match(await page.locator('#new-p99').textContent() ?? '', /\d/, 'a p99 with a number');
  await page.locator('#audit-rows tr', { hasText: 'set-percent' }).first().waitFor({ timeout: 3_000 });

  // Copy what old holds to new: the panel follows the job to its end.
  await admin(gateway, 'POST', '/admin/migration/start', { mode: 'copy', reason: 'backfill before widening the canary' });
  await page.locator('#migrate-job').waitFor({ state: 'visible', timeout: 5_000 });
  assert.equal(await page.locator('#migrate-mode').textContent(), 'copy');
  assert.match(await page.locator('#migrate-id').textContent() ?? '', /^copy-/);
  await page.locator('#migrate-status', { hasText: 'done' }).waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#migrate-progress').textContent() ?? '', /^[\d,]+ of [\d,]+ items · 100 %$/);
  assert.ok(await page.locator('#migrate-none').isHidden(), 'no hint once a job ran');

  // Let the rate window fill, the sparklines grow and the guard judge, for a representative screenshot.
  await page.locator('#guard-verdict', { hasText: 'healthy' }).waitFor({ timeout: 15_000 });
  await new Promise((r) => setTimeout(r, 8_000));
  await page.screenshot({ path: `${OUTPUT}status-page.png`, fullPage: true });
  assert.ok(load.accepted > 0, 'the gateway accepted the traffic');

  await admin(gateway, 'POST', '/admin/rollout/rollback', { reason: REASON });
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible', timeout: 3_000 });
  assert.equal(await page.locator('#banner-reason').textContent(), REASON);
  assert.equal(await page.locator('#banner-trigger').textContent(), 'manual');
  assert.equal(await page.locator('#banner-actor').textContent(), 'ops');
  assert.equal(await page.locator('#banner-resume').textContent(), 'canary 10 %');
  assert.equal(await page.locator('#banner-cmd').textContent(), `cutover resume --url ${gateway.url} --reason "..."`);
  assert.match(await page.title(), /^ROLLED BACK/);
  await page.locator('#audit-rows tr', { hasText: REASON }).first().waitFor({ timeout: 3_000 });
  await new Promise((r) => setTimeout(r, 1_500));
  await page.screenshot({ path: `${OUTPUT}status-page-rollback.png`, fullPage: true });

  const body = await page.locator('body').innerText();
  assert.ok(!body.includes(USER_PREFIX), 'no user id on the page');
  assert.ok(!body.includes(TOKEN), 'no token on the page');

  // A phone: one column, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${gateway.url}/status`);
  await small.locator('#banner').waitFor({ state: 'visible', timeout: 5_000 });
  const overflow = await small.evaluate(() => {
    const browser = globalThis as unknown as BrowserGlobals;
    return browser.document.documentElement.scrollWidth - browser.innerWidth;
  });
  assert.ok(overflow <= 0, `the phone layout is ${overflow}px wider than the screen`);
  await small.screenshot({ path: `${OUTPUT}status-page-phone.png`, fullPage: true });
  await phone.close();

  // The gateway goes away: the page says its numbers are stale instead of freezing silently.
  // (Failed fetches log console errors from here on, which are expected.)
  const problemsWhileUp = [...problems];
  await load.stop();
  await gateway.stop();
  await page.locator('#live.stale').waitFor({ timeout: 8_000 });
  assert.match(await page.locator('#live-text').textContent() ?? '', /^STALE/);
  assert.ok(await page.locator('body.stale').count() === 1, 'the numbers are dimmed');

  assert.deepEqual(problemsWhileUp, [], 'no script errors or CSP violations');
  assert.deepEqual(foreign, [], 'no request leaves the gateway');
});

import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../infra/logger.js';
import { createCutover, type Cutover } from '../main.js';

/**
 * `npm run demo`: a whole cutover in about a minute, in one process with the embedded default.
 * Synthetic users send messages; the rollout walks shadow → canary 1 % → 5 % → 25 %; a fault is
 * injected into the new side; the guard rolls everyone back; the outbox catches the new side up
 * once it heals; and every accepted message is checked on both sides. It ends by itself.
 */
const TOKEN = randomBytes(16).toString('hex');
const USERS = 1_000;
const RATE = 150; // messages per second
const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const started = Date.now();
  const port = Number(process.env.CUTOVER_DEMO_PORT ?? 8080);
  const config = loadConfig({
    env: {},
    overrides: {
      'http.port': port,
      'http.logLevel': 'silent',
      'admin.tokens': [{ name: 'demo-operator', role: 'operator', token: TOKEN }],
      plan: { steps: [{ percent: 1, bake: '5s' }, { percent: 5, bake: '5s' }, { percent: 25, bake: '5s' }, { percent: 100, bake: '1m' }], autoPromote: false },
      'guard.minSamples': 100,
    },
  });
  const cutover = await createCutover(config, { logger: createLogger('silent'), instanceId: 'demo' });
  await cutover.start();
  const base = await cutover.app.listen({ host: '127.0.0.1', port }).catch(() => cutover.app.listen({ host: '127.0.0.1', port: 0 }));
  console.log(bold('Cutover demo') + ` — one gateway, embedded default (memory sides), ${USERS} synthetic users, ~${RATE} msg/s`);
  console.log(`  watch it live: ${bold(`${base}/status`)}    metrics: ${base}/metrics\n`);

  const traffic = startTraffic(base);
  const admin = (path: string, body: Record<string, unknown>) => post(base, `/admin/rollout/${path}`, body, TOKEN);
  const progress = startProgress(cutover, traffic);
  try {
    await phase('shadow: old is primary, new gets every write', () => admin('stage', { stage: 'shadow' }), 6_000);
    await phase('canary: the first step of the plan', () => admin('stage', { stage: 'canary' }), 1_000);
    for (const _ of [1, 2, 3]) {
      const res = await admin('step', {});
      await phase(`step → ${res.state?.percent ?? '?'} % of users on new (bake 5s)`, async () => res, 5_500);
    }
    const injectedAt = Date.now();
    await phase(red('fault: the new side starts failing 60 % of sends'), () => put(base, '/admin/sides/new/faults', { errorRate: 0.6 }, TOKEN), 0);
    while (!cutover.services.stateView.current().rollback && Date.now() - injectedAt < 30_000) await sleep(50);
    const rollback = cutover.services.stateView.current().rollback;
    if (!rollback) throw new Error('the guard did not roll back within 30 s');
    progress.line(red(`ROLLBACK by ${rollback.actor} (${rollback.trigger}) ${((Date.parse(rollback.at) - injectedAt) / 1000).toFixed(1)} s after the fault`));
    progress.line(`  reason: ${rollback.reason}`);
    await sleep(3_000);
    await phase(green('the new side heals; the outbox replays what it owes'), () => put(base, '/admin/sides/new/faults', { errorRate: 0 }, TOKEN), 0);
    await traffic.stop();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counts = await cutover.services.outbox.counts();
      if (counts.owed.old + counts.owed.new + counts.unconfirmed === 0 || Date.now() > deadline) break;
      await sleep(100);
    }
  } finally {
    progress.stop();
    await traffic.stop();
  }

  const old = cutover.services.memorySide('old')!;
  const fresh = cutover.services.memorySide('new')!;
  const accepted = [...traffic.accepted.keys()];
  const dualWritten = accepted.filter((id) => traffic.accepted.get(id));
  // Every accepted message is on its primary; every one accepted while dual-writing is on both.
  const missingOld = accepted.filter((id) => !old.has(id) && !fresh.has(id)).length + dualWritten.filter((id) => !old.has(id)).length;
  const missingNew = dualWritten.filter((id) => !fresh.has(id)).length;
  const audit = await cutover.services.stateStore.audit(20);
  console.log('\n' + bold('Summary'));
  console.log(`  messages accepted (2xx): ${accepted.length} (${accepted.length - dualWritten.length} in stage off, old only); refused while the new side failed (503, nothing stored): ${traffic.refused}`);
  console.log(`  on old: ${old.size}   on new: ${fresh.size}   accepted but missing on old: ${missingOld}, on new: ${missingNew}`);
  const final = cutover.services.stateView.current();
  console.log(`  state: ${final.stage} ${final.percent} %${final.rollback ? `, rolled back by ${final.rollback.actor} (${final.rollback.trigger})` : ''}, version ${final.version}`);
  console.log(`  audit: ${audit.reverse().map((e) => `${e.action}(${e.actor})`).join(' → ')}`);
  console.log('  in a real migration: fix the new side, then `cutover resume --reason "..."` returns to 25 % and restarts the bake');
  const lost = missingOld + missingNew;
  console.log(lost === 0 ? green(`  no message lost — done in ${((Date.now() - started) / 1000).toFixed(0)} s`) : red(`  ${lost} messages missing`));
  await cutover.close();
  process.exit(lost === 0 ? 0 : 1);
}

async function phase(title: string, action: () => Promise<unknown>, holdMs: number): Promise<void> {
  console.log(`${bold('▸')} ${title}`);
  await action();
  await sleep(holdMs);
}

function startTraffic(base: string) {
  /** Accepted ids, with whether the gateway promised the second side too (false in stage off). */
  const accepted = new Map<string, boolean>();
  let refused = 0;
  let running = true;
  let sequence = 0;
  const workers = Array.from({ length: 6 }, async () => {
    while (running) {
      const n = sequence++;
      const id = `demo-${n}`;
      const to = n % 10 === 0 ? { type: 'channel', id: `room-${n % 7}` } : { type: 'user', id: `user-${(n * 7919) % USERS}` };
      try {
        const res = await fetch(`${base}/v1/messages`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, from: `user-${n % USERS}`, to, payload: `hello #${n}` }),
        });
        if (res.status === 201) accepted.set(id, ((await res.json()) as { secondary: string | null }).secondary !== null);
        else refused++;
      } catch {
        refused++;
      }
      await sleep((6 * 1000) / RATE);
    }
  });
  return { accepted, get refused() { return refused; }, get sent() { return sequence; }, async stop() { running = false; await Promise.all(workers); } };
}

function startProgress(cutover: Cutover, traffic: { accepted: Map<string, boolean>; sent: number }) {
  const old = cutover.services.memorySide('old')!;
  const fresh = cutover.services.memorySide('new')!;
  const render = (): string => {
    const state = cutover.services.stateView.current();
    const verdict = cutover.services.guard.lastReport;
    return `  ${state.rollback ? red('ROLLED BACK') : state.stage.padEnd(8)} ${String(state.percent).padStart(5)} %  sent ${String(traffic.sent).padStart(6)}  accepted ${String(traffic.accepted.size).padStart(6)}  old ${String(old.size).padStart(6)}  new ${String(fresh.size).padStart(6)}  guard ${verdict?.verdict ?? 'idle'}`;
  };
  let last = '';
  const timer = setInterval(() => {
    last = render();
    if (tty) process.stdout.write(`\r${last}\x1b[K`);
    else console.log(last);
  }, 1_000);
  return {
    line(text: string) {
      if (tty) process.stdout.write('\r\x1b[K');
      console.log(text);
    },
    stop() {
      clearInterval(timer);
      if (tty && last) process.stdout.write('\n');
    },
  };
}

async function post(base: string, path: string, body: Record<string, unknown>, token: string): Promise<{ state?: { percent: number } }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { state?: { percent: number } };
}

async function put(base: string, path: string, body: Record<string, unknown>, token: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { GatewayProcess } from '../support/gateway-process.js';
import { assertNone, failuresByAnswer } from './support/accountant.js';
import { startFaultStack, type FaultStack } from './support/fault-stack.js';

const CLI = fileURLToPath(new URL('../../src/cli/cutover.js', import.meta.url));
const USERS = Array.from({ length: 200 }, (_, i) => `u${i}`);
/** Every gateway re-reads the state each second besides pub/sub: a flip may take that long, plus slack for two busy cores. */
const FLIP_WITHIN_MS = 1_500;

function runCli(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000, env: { ...process.env, USER: 'fault-suite' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Each user's primary on one gateway, or why it could not answer. */
async function primaries(stack: FaultStack, gateway: GatewayProcess): Promise<string[]> {
  return Promise.all(USERS.map((user) => stack.route(gateway, user).then((r) => `${r.primary}${r.rolledBack ? '/rolled-back' : ''}`, (err: Error) => `error: ${err.message}`)));
}

/** Polls until every gateway routes every sample user to old, rolled back; the ms it took, or -1 after `ms`. */
async function untilAllOld(stack: FaultStack, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms + 1_000) {
    const views = await Promise.all(stack.gateways.map((g) => primaries(stack, g)));
    if (views.every((view) => view.every((p) => p === 'old/rolled-back'))) return Date.now() - started;
    await sleep(25);
  }
  return -1;
}

test('FLUSHALL then break-glass: every gateway routes everyone to old within a second, agrees after a restart, and dual-writes go on', async (t) => {
  const stack = await startFaultStack(t);
  const [restarted] = stack.gateways;
  const before = await primaries(stack, restarted!);
  assert.ok(before.includes('new') && before.includes('old'), 'canary 50 %: both sides are primaries for someone');
  const load = await stack.load({ name: 'flushall', workers: 6, pauseMs: 10, durationMs: 60_000, networkRetries: 10, followUpMs: 20_000 }, { readinessPollMs: 75 });

  await sleep(2_000);
  const redis = new Redis(stack.redis.url);
  await redis.flushall();
  const flushedAt = Date.now();
  await redis.quit();
  // On-call notices a moment later; the gateways meanwhile route by the last state they had.
  await sleep(1_500);
  const cli = await runCli(['rollback', '--redis', stack.redis.url, '--reason', 'fault drill: Redis lost its data (FLUSHALL)']);
  const breakGlassAt = Date.now();
  const flipMs = await untilAllOld(stack, FLIP_WITHIN_MS);

  await restarted!.stop();
  await restarted!.boot();
  const views = await Promise.all(stack.gateways.map((g) => primaries(stack, g)));
  const split = USERS.filter((_, i) => views.some((view) => view[i] !== 'old/rolled-back'));
  await sleep(2_000);
  const messages = await load.stop();

  // Records of messages begun before the FLUSHALL may have been wiped with it: Redis's loss, counted apart.
  const after = messages.filter((m) => m.startedAt > flushedAt);
  const afterBreakGlass = messages.filter((m) => m.startedAt > breakGlassAt).length;
  const tally = await stack.account({
    name: 'flushall-break-glass', messages: after, drainMs: 30_000,
    extra: { cliExit: cli.code, flipMs, splitUsersAfterRestart: split.length, sentAfterBreakGlass: afterBreakGlass, failures: failuresByAnswer(after) },
  });
  const wiped = await stack.account({
    name: 'flushall-before-flush (Redis lost these records; not asserted)', messages: messages.filter((m) => m.startedAt <= flushedAt), drainMs: 0,
  });

  assert.equal(cli.code, 0, `break-glass rollback after FLUSHALL: ${cli.output}`);
  assert.ok(flipMs >= 0 && flipMs <= FLIP_WITHIN_MS, `every gateway routed all ${USERS.length} users to old within ${FLIP_WITHIN_MS} ms (took ${flipMs})`);
  assert.deepEqual(split, [], 'after one gateway restarted, both route every user to old, rolled back: no split fleet');
  assert.ok(tally.promised > 100, `sends went on after the FLUSHALL (${tally.promised} promised)`);
  // Lost here means a dual-write that stalled after the FLUSHALL (consumer groups gone).
  assertNone(tally, ['lost', 'doubled', 'storedButFailed', 'stranded']);
  assert.ok(wiped.sent > 0, 'load ran before the FLUSHALL too');
});

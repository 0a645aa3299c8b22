import assert from 'node:assert/strict';
import { statSync, truncateSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisServer } from '../support/redis-server.js';
import { assertNone, failuresByAnswer, sample, type Tally } from './support/accountant.js';
import { startFaultStack, type FaultStack } from './support/fault-stack.js';
import type { Logical } from './support/load.js';

/** What everysec may lose: the writes of the last second, which a machine crash takes with the page cache. */
const LOST_WINDOW_MS = 1_000;
const SAMPLE_EVERY_MS = 50;

/** The AOF incremental file's size every 50 ms, so a crash can be made to lose exactly the last second. */
class AofSizes {
  private readonly samples: Array<{ at: number; size: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly file: string) {
    this.take();
    this.timer = setInterval(() => this.take(), SAMPLE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The last sample taken at or before `at`. */
  before(at: number): { at: number; size: number } {
    const found = this.samples.filter((s) => s.at <= at).pop();
    if (!found) throw new Error(`no AOF size sampled before ${at}`);
    return found;
  }

  private take(): void {
    this.samples.push({ at: Date.now(), size: statSync(this.file).size });
  }
}

interface Crash {
  stack: FaultStack;
  messages: Logical[];
  killedAt: number;
  /** Where the AOF was cut to: everything Redis had written by `at` survives. */
  cut: { at: number; size: number } | undefined;
  /** Bytes the cut took off the AOF. */
  cutBytes: number;
}

/** Load on two gateways; SIGKILL redis-server mid-load, optionally cut the AOF's last second, restart it. */
async function crashUnderLoad(stack: FaultStack, name: string, cutLastSecond: boolean): Promise<Crash> {
  const redis: RedisServer = stack.redis;
  const file = redis.aofIncrFile();
  const load = await stack.load({ name, workers: 8, pauseMs: 5, durationMs: 6_000, followUpMs: 20_000 });
  const sizes = new AofSizes(file);
  await sleep(3_000);
  const killedAt = Date.now();
  await redis.kill();
  sizes.stop();
  let cut: Crash['cut'];
  let cutBytes = 0;
  if (cutLastSecond) {
    cut = sizes.before(killedAt - LOST_WINDOW_MS);
    cutBytes = statSync(file).size - cut.size;
    truncateSync(file, cut.size);
  }
  await redis.boot();
  return { stack, messages: await load.finished(), killedAt, cut, cutBytes };
}

function count(crash: Crash, name: string): Promise<Tally> {
  const { stack, messages, killedAt, cut, cutBytes } = crash;
  const lastSecond = cut ? messages.filter((m) => m.promisedAt !== undefined && m.promisedAt >= cut.at && m.promisedAt <= killedAt).length : 0;
  return stack.account({
    name, messages, drainMs: 30_000,
    extra: { acceptedInLastSecond: lastSecond, aofCutBytes: cutBytes, failures: failuresByAnswer(messages) },
  });
}

test('under appendfsync everysec, a Redis crash that loses the AOF\'s last second loses only messages promised in that second', async (t) => {
  const stack = await startFaultStack(t, { redis: { appendfsync: 'everysec', noAofRewrite: true } });
  const crash = await crashUnderLoad(stack, 'aof-everysec', true);
  const tally = await count(crash, 'redis-crash-everysec');
  assert.ok(tally.promised > 200, `load reached the gateways (${tally.promised} promised)`);
  const cutAt = crash.cut!.at;
  const older = tally.lostMessages.filter((m) => m.promisedAt! < cutAt);
  assert.equal(older.length, 0, `lost messages promised before the cut (${crashAge(crash)}): ${sample(older)}`);
  assertNone(tally, ['storedButFailed', 'doubled', 'stranded']);
});

test('under appendfsync always, a Redis SIGKILL under load loses nothing promised', async (t) => {
  const stack = await startFaultStack(t, { redis: { appendfsync: 'always', noAofRewrite: true } });
  const crash = await crashUnderLoad(stack, 'aof-always', false);
  const tally = await count(crash, 'redis-crash-always');
  assert.ok(tally.promised > 200, `load reached the gateways (${tally.promised} promised)`);
  assertNone(tally, ['lost', 'storedButFailed', 'doubled', 'stranded']);
});

function crashAge(crash: Crash): string {
  return `AOF cut to its size ${crash.killedAt - crash.cut!.at} ms before the kill`;
}

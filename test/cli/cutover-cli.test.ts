import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { RedisServer } from '../support/redis-server.js';

const CLI = fileURLToPath(new URL('../../src/cli/cutover.js', import.meta.url));
const OPERATOR_TOKEN = 'cli-operator-token-0123456789';
const VIEWER_TOKEN = 'cli-viewer-token-0123456789';
const SERVICE_TOKEN = 'cli-service-token-0123456789';
const PLAN = { plan: { steps: [{ percent: 1, bake: '1s' }, { percent: 5, bake: '1h' }, { percent: 100, bake: '0s' }] } };
const CLEAR_SCREEN = '\x1b[H\x1b[2J';
const COMMANDS = ['status', 'watch', 'stage', 'step', 'set', 'rollback', 'resume', 'history', 'outbox', 'cost', 'sla', 'route', 'migrate'];
const MIGRATE_COMMANDS = ['plan', 'start', 'status', 'pause', 'resume', 'verify', 'report'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let redis: RedisServer;
let gateway: GatewayProcess;
let configDir: string;
/** Everything the CLI printed, to prove no token ever shows. */
const printed: string[] = [];

/** The CLI's environment: nothing inherited from the developer's shell, the gateway and operator token by default. */
function cliEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CUTOVER_')));
  Object.assign(env, { CUTOVER_URL: gateway.url, CUTOVER_TOKEN: OPERATOR_TOKEN, USER: 'tester' });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

function start(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `cutover ...args` as a child process, to its exit. */
function cutover(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve) => {
    child.once('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit 1 with exactly the two error lines: `cutover: CODE: message` and `  next: ...`. */
function assertFails(run: Run, code: string, hint: RegExp): void {
  assert.equal(run.code, 1, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `two lines on stderr: ${run.stderr}`);
  assert.match(lines[0]!, new RegExp(`^cutover: ${code}: \\S`));
  assert.match(lines[1]!, /^ {2}next: /);
  assert.match(lines[1]!, hint);
}

function assertUsageError(run: Run, message: RegExp): void {
  assert.equal(run.code, 2, `exit code; stderr: ${run.stderr}`);
  assert.match(run.stderr, /^cutover: USAGE: /);
  assert.match(run.stderr, message);
  assert.match(run.stderr, /\n {2}next: cutover \S+ --help/);
}

interface RolloutReply {
  state: { version: number; stage: string; percent: number; rollback: { trigger: string; actor: string; reason: string } | null };
  position: { readyToStep: boolean };
}

async function rollout(): Promise<RolloutReply> {
  const res = await gateway.request('GET', '/admin/rollout', undefined, OPERATOR_TOKEN);
  assert.equal(res.status, 200);
  return res.body as RolloutReply;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cutover CLI against a gateway process on real Redis', () => {
  before(async () => {
    redis = await RedisServer.start();
    configDir = mkdtempSync(join(tmpdir(), 'cutover-cli-'));
    const configFile = join(configDir, 'cutover.json');
    writeFileSync(configFile, JSON.stringify(PLAN));
    gateway = await GatewayProcess.start({
      CUTOVER_REDIS_URL: redis.url,
      CUTOVER_CONFIG: configFile,
      CUTOVER_ADMIN_TOKENS: `ops:operator:${OPERATOR_TOKEN},vic:viewer:${VIEWER_TOKEN}`,
      CUTOVER_API_TOKENS: `app:${SERVICE_TOKEN}`,
      CUTOVER_BILLING: JSON.stringify({ new: { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 150_000_000, overagePerUnit: 0.000003, includedConcurrentUsers: 2_500, overagePerConcurrentUser: 0.03, budget: 600 } }),
      CUTOVER_SLA: JSON.stringify({ old: { availability: 99.9, latency: '500ms' } }),
    });
  });

  after(async () => {
    await gateway?.kill();
    await redis?.destroy();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  test('every command has --help with a description, its options and an Examples section', async () => {
    const [root, ...commands] = await Promise.all([cutover(['--help']), ...COMMANDS.map((name) => cutover([name, '--help']))]);
    assert.equal(root.code, 0);
    for (const name of COMMANDS) assert.match(root.stdout, new RegExp(`\\n {2}${name} `), `the root help lists ${name}`);
    assert.match(root.stdout, /Break glass:[\s\S]*No token is needed[\s\S]*cutover rollback --redis redis:\/\/HOST:6379/);
    assert.match(root.stdout, /Exit codes: 0 done/);
    for (const [i, run] of commands.entries()) {
      assert.equal(run.code, 0, COMMANDS[i]);
      assert.match(run.stdout, new RegExp(`^Usage: cutover ${COMMANDS[i]} `), COMMANDS[i]);
      assert.match(run.stdout, /\nExamples:\n {2}cutover /, `${COMMANDS[i]} --help has examples`);
      if (COMMANDS[i] !== 'route' && COMMANDS[i] !== 'migrate') assert.match(run.stdout, /--url <url>[\s\S]*env: CUTOVER_URL/, `${COMMANDS[i]} takes --url`);
    }
    const migrate = await Promise.all(MIGRATE_COMMANDS.map((name) => cutover(['migrate', name, '--help'])));
    for (const [i, run] of migrate.entries()) {
      const name = MIGRATE_COMMANDS[i]!;
      assert.equal(run.code, 0, name);
      assert.match(commands[COMMANDS.indexOf('migrate')]!.stdout, new RegExp(`\\n {2}${name} `), `migrate --help lists ${name}`);
      assert.match(run.stdout, new RegExp(`^Usage: cutover migrate ${name} `), name);
      assert.match(run.stdout, /\nExamples:\n {2}cutover migrate /, `migrate ${name} --help has examples`);
      assert.match(run.stdout, /--url <url>[\s\S]*env: CUTOVER_URL/, `migrate ${name} takes --url`);
    }
    const rollbackHelp = commands[COMMANDS.indexOf('rollback')]!.stdout;
    assert.match(rollbackHelp, /--redis <url>/);
    assert.match(rollbackHelp, /No token is needed:\s+access to Redis is the credential/);
  });

  test('status prints a table of the rollout, and --json the API reply as it is', async () => {
    const human = await cutover(['status']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^migration +default +\(http:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.match(human.stdout, /^stage +off: old only$/m);
    assert.match(human.stdout, /^percent +0 % of eligible users$/m);
    assert.match(human.stdout, /^plan +steps apply in canary; next: cutover stage shadow/m);
    assert.match(human.stdout, /^steps +1 % 1s → 5 % 1h → 100 % /m);
    assert.match(human.stdout, /^state +version 1, changed \S+ ago by system/m);
    assert.match(human.stdout, /^guard +\S/m, 'the guard row shows when the API reports one');
    assert.doesNotMatch(human.stdout, /ROLLED BACK/);

    const json = await cutover(['status', '--json']);
    assert.equal(json.code, 0);
    const reply = JSON.parse(json.stdout) as RolloutReply & { plan: unknown };
    assert.deepEqual(reply.state, (await rollout()).state);
    assert.deepEqual(reply.plan, { autoPromote: false, steps: [{ percent: 1, bake: '1s' }, { percent: 5, bake: '1h' }, { percent: 100, bake: '0s' }] });
  });

  test('without a token a read fails with UNAUTHORIZED and says to set CUTOVER_TOKEN', async () => {
    const [missing, unknown] = await Promise.all([
      cutover(['status'], { CUTOVER_TOKEN: undefined }),
      cutover(['history'], { CUTOVER_TOKEN: 'not-a-known-token-at-all' }),
    ]);
    assertFails(missing, 'UNAUTHORIZED', /set CUTOVER_TOKEN to a viewer or operator token/);
    assertFails(unknown, 'UNAUTHORIZED', /does not know this token/);
  });

  test('a viewer token reads, but a change fails with FORBIDDEN and says an operator token is needed', async () => {
    assert.equal((await cutover(['status'], { CUTOVER_TOKEN: VIEWER_TOKEN })).code, 0);
    assertFails(await cutover(['stage', 'shadow'], { CUTOVER_TOKEN: VIEWER_TOKEN }), 'FORBIDDEN', /this needs an operator token/);
    assert.equal((await rollout()).state.version, 1, 'nothing changed');
  });

  test('stage moves forward one stage at a time; repeating one is a no-op that exits 0 with the note', async () => {
    assertUsageError(await cutover(['stage', 'sideways']), /'sideways' is invalid for argument 'stage'\. Allowed choices are off, shadow, canary, complete/);
    const shadow = await cutover(['stage', 'shadow']);
    assert.equal(shadow.code, 0, shadow.stderr);
    assert.match(shadow.stdout, /^changed: now shadow 0 % {2}\(version 2\)$/m);
    assertFails(await cutover(['stage', 'complete']), 'INVALID_TRANSITION', /cutover status/);
    assert.equal((await cutover(['stage', 'canary'])).code, 0);
    const again = await cutover(['stage', 'canary']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^no change: stage is already canary/);
  });

  test('step follows the plan and its bake; BAKE_NOT_DONE says to wait or force with a reason', async () => {
    const first = await cutover(['step']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /now canary 1 %/);
    await until(async () => (await rollout()).position.readyToStep, 3_000, 'the 1 s bake');
    assert.match((await cutover(['status'])).stdout, /^plan +step 1 % baked 1s, next 5 %: ready \(cutover step\)$/m);
    assert.match((await cutover(['step'])).stdout, /now canary 5 %/);

    assert.match((await cutover(['status'])).stdout, /^plan +step 5 % baking \S+ of 1h, next 100 %$/m);
    assertFails(await cutover(['step']), 'BAKE_NOT_DONE', /wait 59m \d+s, or pass --force --reason/);
    assertUsageError(await cutover(['step', '--force']), /--force needs --reason/);
    const forced = await cutover(['step', '--force', '--reason', 'bake done on staging']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /now canary 100 %/);
  });

  test('set changes the percent: raising freely, lowering with --force --reason, bad values are usage errors', async () => {
    assertUsageError(await cutover(['set', '150']), /percent 0\.\.100/);
    assertFails(await cutover(['set', '50']), 'INVALID_TRANSITION', /cutover status/);
    assert.match((await cutover(['set', '50', '--force', '--reason', 'back off to half'])).stdout, /now canary 50 %/);
    assertFails(await cutover(['set', '60']), 'BAKE_NOT_DONE', /--force --reason/);
    assert.match((await cutover(['set', '60%', '--force', '--reason', 'ahead of plan for the drill'])).stdout, /now canary 60 %/);
    const same = await cutover(['set', '60']);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /^no change: percent is already 60/);
    assert.match((await cutover(['status'])).stdout, /^plan +at 60 % \(plan step 5 %\) baking \S+ of 1h, next 100 %$/m);
  });

  test('rollback needs a reason; it rolls back once, and a second rollback is a no-op that exits 0 with the note', async () => {
    assertUsageError(await cutover(['rollback']), /required option '--reason <text>'/);
    assertUsageError(await cutover(['rollback', '--reason', 'x']), /3 to 500 characters/);
    const done = await cutover(['rollback', '--reason', 'new side 5xx spike']);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^changed: now canary 60 %, rolled back/);
    const again = await cutover(['rollback', '--reason', 'pressed it twice']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^no change: already rolled back by ops at /);

    const status = (await cutover(['status'])).stdout;
    assert.match(status, /^\*\*\* ROLLED BACK: everyone is on old; dual-writes go on \*\*\*$/m);
    assert.match(status, /^trigger +manual, by ops at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\S+ ago\)$/m);
    assert.match(status, /^reason +"new side 5xx spike"$/m);
    assert.match(status, /^resume to +canary 60 %/m);
    assertFails(await cutover(['set', '70']), 'INVALID_TRANSITION', /cutover status/);
  });

  test('resume returns to the state before the rollback; resuming again is a no-op', async () => {
    const resumed = await cutover(['resume', '--reason', 'vendor fixed it']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^changed: now canary 60 % {2}\(version \d+\)$/m);
    const again = await cutover(['resume']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^no change: not rolled back; nothing to resume/);
  });

  test('history lists the audited changes newest first with time, actor(role), action, before → after and reason', async () => {
    const run = await cutover(['history']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +v\d+ +ops\(operator\) +resume +rolled back → canary 60 % +"vendor fixed it"$/);
    assert.match(lines[1]!, /ops\(operator\) +rollback +canary 60 % → rolled back \(manual\) +"new side 5xx spike"$/);
    assert.ok(lines.some((line) => /ops\(operator\) +step +canary 5 % → canary 100 % +"bake done on staging"$/.test(line)), run.stdout);
    assert.ok(lines.some((line) => /ops\(operator\) +set-stage +off 0 % → shadow 0 %$/.test(line)), run.stdout);
    assert.match(lines[lines.length - 1]!, /system\(system\) +init +created off 0 %$/);

    const page = await cutover(['history', '--limit', '2']);
    const [, , more] = page.stdout.trimEnd().split('\n');
    const before = /^more: cutover history --before (\d+-\d+)$/.exec(more ?? '')?.[1];
    assert.ok(before, page.stdout);
    const next = await cutover(['history', '--limit', '1', '--before', before, '--json']);
    const entries = (JSON.parse(next.stdout) as { entries: Array<{ action: string; reason?: string }> }).entries;
    assert.deepEqual(entries.map((e) => e.action), ['set-percent']);
  });

  test('cost shows each side\'s month in its unit, the peak online and the projected bill; --json gives the API reply', async () => {
    const run = await cutover(['cost'], { CUTOVER_TOKEN: VIEWER_TOKEN });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^side +messages +units +unit +units\/h now +users today +users month +peak online +stored$/m);
    assert.match(run.stdout, /^new +[\d,]+ +[\d,]+ +rtm-1kb /m);
    assert.match(run.stdout, /^old: no price table \(billing\.old in config\)/m);
    assert.match(run.stdout, /^new: month to date 399\.00 USD; month end at the current rate [\d,.]+ USD \(budget 600\.00 USD/m);
    assert.match(run.stdout, /^ {2}concurrent users: peak [\d,]+, 0 over the 2,500 included: 0\.00 USD$/m);
    assert.match(run.stdout, /^ +50 % on new +off +[\d,.]+ USD$/m);
    const json = JSON.parse((await cutover(['cost', '--json'])).stdout) as {
      month: string; sides: { new: { price: { unit: string; includedConcurrentUsers: number }; peakConcurrentUsers: { users: number }; projection: { steps: unknown[] } } };
    };
    assert.match(json.month, /^\d{4}-\d{2}$/);
    assert.equal(json.sides.new.price.unit, 'rtm-1kb');
    assert.equal(json.sides.new.price.includedConcurrentUsers, 2_500);
    assert.equal(typeof json.sides.new.peakConcurrentUsers.users, 'number');
    assert.equal(json.sides.new.projection.steps.length, 6, '25, 50 and 100 %, dual-writing on and off');
    const status = await cutover(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^cost new +399\.00 USD so far, [\d,.]+ USD projected, budget 600\.00 USD, peak [\d,]+ users online$/m);
    assert.match(status.stdout, /^sla old +.* against 99\.9 %/m);
  });

  test('sla shows each side against its SLA, the budget left and the failures by class; --json gives the API reply', async () => {
    const sent = await gateway.request('POST', '/v1/messages', { id: 'cli-sla-1', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' });
    assert.equal(sent.status, 201);
    const readSla = async () => (JSON.parse((await cutover(['sla', '--json'])).stdout) as { sides: { old: { sla: { sends: number; objective: { availability: number } } | null }; new: { sla: null } } }).sides;
    // The meter flushes every 5 s.
    const deadline = Date.now() + 10_000;
    let sides = await readSla();
    while ((sides.old.sla?.sends ?? 0) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      sides = await readSla();
    }
    assert.equal(sides.old.sla?.objective.availability, 99.9);
    assert.ok((sides.old.sla?.sends ?? 0) >= 1, 'the send is counted');
    assert.equal(sides.new.sla, null);
    const run = await cutover(['sla']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^side +objective +measured +met +budget left +downtime +latency ≤ objective$/m);
    assert.match(run.stdout, /^old +99\.9 % +100\.000 % +yes +100\.0 % /m);
    assert.match(run.stdout, /^new +none \(sla\.new\)/m);
    assert.match(run.stdout, /^old: \d+ sends, 0 failed \(timeout 0, unavailable 0, vendor error 0\)/m);
  });

  test('outbox shows what each side is owed; --json gives the API reply', async () => {
    const sent = await gateway.request('POST', '/v1/messages', { id: 'cli-outbox-1', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' });
    assert.equal(sent.status, 201);
    const run = await cutover(['outbox']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^side +owed +retrying +dead-lettered$/m);
    assert.match(run.stdout, /^old +\d+ +\d+ +0$/m);
    assert.match(run.stdout, /^new +\d+ +\d+ +0$/m);
    assert.match(run.stdout, /^unconfirmed primaries: \d+/m);
    const json = JSON.parse((await cutover(['outbox', '--json', '--dead-letters', '5'])).stdout) as { counts: { owed: object }; deadLetters: object };
    assert.deepEqual(Object.keys(json.counts.owed), ['old', 'new']);
    assert.deepEqual(json.deadLetters, { old: [], new: [] });

    const noReason = await cutover(['outbox', '--redrive', 'new']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--redrive needs --reason/);
    const redrive = await cutover(['outbox', '--redrive', 'new', '--reason', 'token fixed; drill']);
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.match(redrive.stdout, /^redriven: 0 dead letters of new are queued again/m);
  });

  test('route shows the side a user logs into, the same answer the gateway gives, with a service or an operator token', async () => {
    const [human, json, asOperator] = await Promise.all([
      cutover(['route', 'alice'], { CUTOVER_TOKEN: SERVICE_TOKEN }),
      cutover(['route', 'alice', '--json'], { CUTOVER_TOKEN: SERVICE_TOKEN }),
      cutover(['route', 'alice', '--json']),
    ]);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(asOperator.code, 0, asOperator.stderr);
    assert.deepEqual(JSON.parse(asOperator.stdout), JSON.parse(json.stdout));
    const expected = (await gateway.request('GET', '/v1/route/alice')).body as { cohort: string; bucket: number };
    assert.match(human.stdout, new RegExp(`^alice → ${expected.cohort} `));
    assert.match(human.stdout, new RegExp(`^bucket +${expected.bucket} of 10000`, 'm'));
    assert.deepEqual(JSON.parse(json.stdout), expected);
  });

  test('watch --count 2 redraws status and outbox twice, clearing the screen each time', async () => {
    const run = await cutover(['watch', '--count', '2', '--interval', '100ms']);
    assert.equal(run.code, 0, run.stderr);
    const frames = run.stdout.split(CLEAR_SCREEN).slice(1);
    assert.equal(frames.length, 2, run.stdout);
    for (const frame of frames) {
      assert.match(frame, /^cutover watch {2}http:\/\/127\.0\.0\.1:\d+ {2}every 0\.1s/);
      assert.match(frame, /^stage +canary/m);
      assert.match(frame, /^outbox +owed old \d+, new \d+;/m);
    }
  });

  test('watch stops on Ctrl-C (SIGINT) and exits 0', async () => {
    const child = start(['watch', '--interval', '100ms']);
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('outbox ')) resolve();
      });
    });
    const exit = new Promise<number | null>((resolve) => child.once('close', resolve));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
  });

  test('break glass while a gateway runs: the gateway routes everyone to old within 1 s of the write', async (t) => {
    const startedAt = Date.now();
    const cli = cutover(['rollback', '--redis', redis.url, '--reason', 'drill: write to Redis directly', '--actor', 'pager']);
    let exitedAt = 0;
    void cli.then(() => { exitedAt = Date.now(); });
    let flippedAt = 0;
    await until(async () => {
      const route = (await gateway.request('GET', '/v1/route/alice')).body as { rolledBack: boolean; cohort: string };
      if (route.rolledBack && route.cohort === 'old') flippedAt = Date.now();
      return flippedAt > 0;
    }, 10_000, 'the gateway to see the break-glass rollback');
    const run = await cli;
    t.diagnostic(`gateway flipped ${flippedAt - startedAt} ms after the CLI started; the CLI exited after ${(exitedAt || Date.now()) - startedAt} ms`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^rolled back through Redis \(break glass\): now canary 60 %, rolled back/);
    // The write happens before the CLI exits: flipping later than 1 s after its exit breaks the promise.
    assert.ok(exitedAt === 0 || flippedAt - exitedAt <= 1_000, `flipped ${flippedAt - exitedAt} ms after the CLI exited, ${flippedAt - startedAt} ms after it started`);
    const { state } = await rollout();
    assert.deepEqual({ trigger: state.rollback?.trigger, actor: state.rollback?.actor }, { trigger: 'manual', actor: 'pager' });
    assert.equal((await cutover(['resume', '--reason', 'drill over'])).code, 0);
  });

  test('a gateway that does not answer within --timeout fails with TIMEOUT; for a change, says it may have been made', async () => {
    const silent = createServer(() => {}); // accepts connections, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const run = await cutover(['rollback', '--reason', 'drill', '--timeout', '300ms'], { CUTOVER_URL: `http://127.0.0.1:${port}` });
      assertFails(run, 'TIMEOUT', /the change may have been made: check cutover status/);
      assert.match(run.stderr, /no answer from http:\/\/127\.0\.0\.1:\d+ within 0\.3s/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('with the gateway down, a command fails with UNREACHABLE and points to break glass', async () => {
    await gateway.stop();
    assertFails(
      await cutover(['status']), 'UNREACHABLE',
      new RegExp(`no gateway at ${gateway.url.replace(/[.]/g, '\\.')}; check --url, or break glass: cutover rollback --redis redis://HOST:6379 --reason`),
    );
  });

  test('break glass with every gateway stopped: the rollback is in Redis, audited as break-glass, and the next gateway starts rolled back', async () => {
    const run = await cutover(['rollback', '--redis', redis.url, '--reason', 'all gateways down; INC-90', '--actor', 'alice'], { CUTOVER_TOKEN: undefined, CUTOVER_URL: undefined });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^rolled back through Redis \(break glass\): now canary 60 %, rolled back {2}\(migration default, version \d+\)$/m);
    assert.match(run.stdout, /audited as alice \(break-glass\)/);

    await gateway.boot();
    const { state } = await rollout();
    assert.equal(state.stage, 'canary');
    assert.equal(state.percent, 60);
    assert.deepEqual(
      { trigger: state.rollback?.trigger, actor: state.rollback?.actor, reason: state.rollback?.reason },
      { trigger: 'manual', actor: 'alice', reason: 'all gateways down; INC-90' },
    );
    const audit = await gateway.request('GET', '/admin/audit?limit=1', undefined, VIEWER_TOKEN);
    const [entry] = (audit.body as { entries: Array<{ actor: string; role: string; action: string; reason: string; after: { version: number } }> }).entries;
    assert.deepEqual(
      { actor: entry?.actor, role: entry?.role, action: entry?.action, reason: entry?.reason, version: entry?.after.version },
      { actor: 'alice', role: 'break-glass', action: 'rollback', reason: 'all gateways down; INC-90', version: (await rollout()).state.version },
    );
    assert.match((await cutover(['history', '--limit', '1'])).stdout, /alice\(break-glass\) +rollback +canary 60 % → rolled back \(manual\) +"all gateways down; INC-90"/);
    assert.match((await cutover(['status'])).stdout, /^trigger +manual, by alice at /m);

    const again = await cutover(['rollback', '--redis', redis.url, '--reason', 'pressed it twice']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^no change: already rolled back by alice at /);
  });

  test('break glass failures: an unreachable Redis or an unknown migration exit 1 with a next step; --migration needs --redis', async () => {
    const port = await freePort();
    const [unreachable, unknownMigration, migrationWithoutRedis] = await Promise.all([
      cutover(['rollback', '--redis', `redis://:hunter2-password@127.0.0.1:${port}`, '--reason', 'drill', '--timeout', '500ms']),
      cutover(['rollback', '--redis', redis.url, '--migration', 'nope', '--reason', 'drill']),
      cutover(['rollback', '--migration', 'eu', '--reason', 'drill']),
    ]);
    assertFails(unreachable, 'REDIS_UNREACHABLE', /check the URL/);
    assert.doesNotMatch(unreachable.stderr, /hunter2/, 'the Redis password is not printed');
    assertFails(unknownMigration, 'NO_STATE', /check --migration/);
    assertUsageError(migrationWithoutRedis, /--migration only applies with --redis/);
  });

  test('route without a token, or with a viewer token, fails and says which token /v1 takes', async () => {
    const [missing, viewer, help] = await Promise.all([
      cutover(['route', 'alice'], { CUTOVER_TOKEN: undefined }),
      cutover(['route', 'alice'], { CUTOVER_TOKEN: VIEWER_TOKEN }),
      cutover(['route', '--help']),
    ]);
    assertFails(missing, 'UNAUTHORIZED', /set CUTOVER_TOKEN to an operator token or a service token \(api.tokens\)/);
    assertFails(viewer, 'FORBIDDEN', /an operator token or a service token \(api.tokens\).*viewer tokens do not open \/v1/);
    assert.doesNotMatch(help.stdout, /no token/i);
    assert.match(help.stdout, /Sends CUTOVER_TOKEN/);
  });

  test('no output ever contains a token', () => {
    assert.ok(printed.length > 40);
    for (const text of printed) {
      assert.ok(!text.includes(OPERATOR_TOKEN) && !text.includes(VIEWER_TOKEN) && !text.includes(SERVICE_TOKEN), text);
    }
  });
});

/**
 * Cutover's own send path, in process: SendMessage.send (route, outbox append, primary write,
 * commit) plus the secondary's delivery by the outbox workers, 50 sends in flight, canary 50 %,
 * memory sides. No HTTP and no load generator, so it is the steadiest figure of the work Cutover
 * adds per message; the HTTP bench shows what that work does to throughput on 2 shared cores.
 */
import { pathToFileURL } from 'node:url';
import { MemoryAdapter } from '../src/adapters/memory-adapter.js';
import { deliver } from '../src/adapters/messaging-adapter.js';
import { loadConfig } from '../src/config/load-config.js';
import type { OutboundMessage } from '../src/domain/message.js';
import { createLogger } from '../src/infra/logger.js';
import { createCutover, type Cutover } from '../src/main.js';
import { cpuSeconds } from './support/cpu.js';
import { USER_IDS } from './support/load.js';
import { killAll } from './support/processes.js';
import { startRedis, type BenchRedis } from './support/redis.js';
import { fixed, table } from './support/table.js';

export type PathMode = 'bare' | 'embedded' | 'unmetered' | 'redis';
export const PATH_MODES: readonly PathMode[] = ['bare', 'unmetered', 'embedded', 'redis'];

export interface PathBenchOptions {
  messages: number;
  modes: readonly PathMode[];
  log: (line: string) => void;
}

export interface PathRow {
  mode: PathMode;
  messages: number;
  /** This process's CPU (user + system, all threads) per message. */
  cpuUsPerMsg: number;
  /** Wall time per message, sends and the secondaries' delivery until the outbox owes nothing. */
  wallUsPerMsg: number;
  redisCpuUsPerMsg?: number;
}

const ADMIN_TOKEN = 'bench-operator-token-0123456789';
/** Configured as in production; the sends here call SendMessage directly, with no HTTP to check it on. */
const SERVICE_TOKEN = 'bench-service-token-0123456789';
const IN_FLIGHT = 50;
const PAYLOAD = JSON.stringify({ text: 'Hello from the Cutover bench, how are you today?', lang: 'en' });

export async function runSendPath(options: PathBenchOptions): Promise<PathRow[]> {
  const rows: PathRow[] = [];
  for (const mode of options.modes) {
    options.log(`path: ${mode}: ${options.messages.toLocaleString('en-US')} sends in process, ${IN_FLIGHT} in flight`);
    rows.push(await runOne(mode, options.messages));
  }
  return rows;
}

/** The baseline: what the bare server's route does per message (build it, one memory side write). */
async function runBare(messages: number): Promise<PathRow> {
  const side = new MemoryAdapter();
  let n = 0;
  const tag = `b${Date.now().toString(36)}`;
  const run = async (count: number): Promise<void> => {
    let left = count;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) {
        const k = n++;
        const message: OutboundMessage = { id: `${tag}-${k}`, from: `u${(k * 7_919 + 13) % USER_IDS}`, to: { type: 'user', id: `u${k % USER_IDS}` }, payload: PAYLOAD, sentAt: Date.now() };
        await deliver(side, message);
      }
    }));
  };
  await run(Math.min(messages, 50_000));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run(messages);
  const cpu = process.cpuUsage(cpuBefore);
  return { mode: 'bare', messages, cpuUsPerMsg: (cpu.user + cpu.system) / messages, wallUsPerMsg: ((performance.now() - started) * 1_000) / messages };
}

async function runOne(mode: PathMode, messages: number): Promise<PathRow> {
  if (mode === 'bare') return runBare(messages);
  let redis: BenchRedis | undefined;
  let cutover: Cutover | undefined;
  try {
    if (mode === 'redis') redis = await startRedis();
    const env: Record<string, string> = { CUTOVER_LOG_LEVEL: 'warn', CUTOVER_ADMIN_TOKENS: `bench:operator:${ADMIN_TOKEN}`, CUTOVER_API_TOKENS: `bench-backend:${SERVICE_TOKEN}` };
    if (redis) env.CUTOVER_REDIS_URL = redis.url;
    if (mode === 'unmetered') env.CUTOVER_METERING = 'false';
    cutover = await createCutover(loadConfig({ env }), { logger: createLogger('warn') });
    await cutover.start();
    await admin(cutover, 'stage', { stage: 'shadow' });
    await admin(cutover, 'stage', { stage: 'canary' });
    await admin(cutover, 'percent', { percent: 50, force: true, reason: 'bench set-up: canary 50 %' });

    const sender = new Sender(cutover);
    await sender.run(Math.min(messages, 50_000)); // warm-up: JIT, pools, the first GCs
    const cpuBefore = process.cpuUsage();
    const redisBefore = cpuSeconds(redis?.pid);
    const started = performance.now();
    await sender.run(messages);
    const wallUs = (performance.now() - started) * 1_000;
    const cpu = process.cpuUsage(cpuBefore);
    const row: PathRow = { mode, messages, cpuUsPerMsg: (cpu.user + cpu.system) / messages, wallUsPerMsg: wallUs / messages };
    if (redis) row.redisCpuUsPerMsg = ((cpuSeconds(redis.pid) - redisBefore) * 1e6) / messages;
    return row;
  } finally {
    await cutover?.close();
    await redis?.destroy();
  }
}

/** Sends `count` messages with IN_FLIGHT at a time, then waits until the outbox owes nothing. */
class Sender {
  private n = 0;
  private readonly tag = `p${Date.now().toString(36)}`;

  constructor(private readonly cutover: Cutover) {}

  async run(count: number): Promise<void> {
    const { sendMessage, outbox } = this.cutover.services;
    let left = count;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) {
        const n = this.n++;
        await sendMessage.send({ id: `${this.tag}-${n}`, from: `u${(n * 7_919 + 13) % USER_IDS}`, to: { type: 'user', id: `u${n % USER_IDS}` }, payload: PAYLOAD });
      }
    }));
    for (const deadline = Date.now() + 30_000; ;) {
      const counts = await outbox.counts();
      if (counts.owed.old + counts.owed.new + counts.unconfirmed === 0) return;
      if (Date.now() > deadline) throw new Error(`the outbox still owes ${counts.owed.old + counts.owed.new} writes 30 s after the sends`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

async function admin(cutover: Cutover, path: string, body: unknown): Promise<void> {
  const res = await cutover.app.inject({ method: 'POST', url: `/admin/rollout/${path}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: body as object });
  if (res.statusCode !== 200) throw new Error(`POST /admin/rollout/${path} answered ${res.statusCode}: ${res.body}`);
}

export function formatSendPathReport(rows: readonly PathRow[]): string {
  const header = ['send path (in process)', 'messages', 'cpu µs/msg', 'wall µs/msg', 'redis cpu µs/msg'];
  const names: Record<PathMode, string> = {
    bare: 'bare: one memory side write', unmetered: 'embedded, metering off', embedded: 'embedded (memory outbox)', redis: 'redis outbox',
  };
  const body = rows.map((r) => [
    names[r.mode], r.messages.toLocaleString('en-US'),
    fixed(r.cpuUsPerMsg, 1), fixed(r.wallUsPerMsg, 1), r.redisCpuUsPerMsg === undefined ? '' : fixed(r.redisCpuUsPerMsg, 1),
  ]);
  const off = rows.find((r) => r.mode === 'unmetered');
  const on = rows.find((r) => r.mode === 'embedded');
  const metering = off && on
    ? [`      metering (usage and SLA, docs/cost.md): ${fixed(on.cpuUsPerMsg - off.cpuUsPerMsg, 2)} µs/msg, ${fixed((100 * (on.cpuUsPerMsg - off.cpuUsPerMsg)) / off.cpuUsPerMsg, 1)} % of the send path's CPU (embedded on against off, same run; it swings by ±10 % from run to run: the throughput section's metering line is the verdict)`]
    : [];
  return [
    table([header, ...body]),
    ...metering,
    '',
    '      Cutover, each message: route, outbox append, primary write, commit, and the secondary written by the outbox',
    '      workers (the wall time runs until the outbox owes nothing); bare: the message built and written to one side;',
    '      canary 50 %, memory sides, caller-chosen ids; cpu counts every thread of this process (GC included)',
  ].join('\n');
}

// Standalone: `node dist/bench/send-path.js`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSendPath({ messages: 200_000, modes: PATH_MODES, log: (l) => process.stderr.write(`${l}\n`) })
    .then((rows) => process.stdout.write(`${formatSendPathReport(rows)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`send-path: ${err instanceof Error ? err.stack : String(err)}\n`);
      killAll();
      process.exit(1);
    })
    .then(() => process.exit(0));
}

/**
 * The embedded gateway (Cutover's own composition root, metering on) with a switch on its meter:
 * every BENCH_SLICE_MS the meter's send-path calls (`accepted`, `delivered`, `bridged`) are turned
 * off or back on, and the process's CPU and the messages accepted are read at each turn. One
 * process and one compiled send path for both states, so the JIT's draw for a process (several
 * percent either way) is the same for both; pairs of adjacent slices, in an order drawn per pair,
 * cancel the machine's drift.
 * With BENCH_SWITCH_CONTROL=1 the meter stays on in both states: the A/A.
 * Run as a child: `node dist/bench/metering-switch-server.js`, configured by CUTOVER_* like the
 * gateway. SIGUSR1 starts recording slices; SIGUSR2 writes them to BENCH_SWITCH_REPORT as
 * `metering-switch {json}` and stops recording.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { Side } from '../src/domain/message.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/infra/logger.js';
import { createCutover } from '../src/main.js';
import { UsageMeter } from '../src/services/usage-meter.js';
import { SWITCH_REPORT_PREFIX, type SwitchReport, type SwitchSlice } from './support/switch-slices.js';

const sliceMs = Number(process.env.BENCH_SLICE_MS ?? 250);
const reportFile = process.env.BENCH_SWITCH_REPORT ?? 'metering-switch.json';
const control = process.env.BENCH_SWITCH_CONTROL === '1';

let metering = true;
/** Messages accepted, and the meter's flush CPU, in the current slice. */
let accepted = 0;
let flushCpuUs = 0;

// In place, so the product's code runs unchanged: in an off slice the meter's body is skipped, the
// call to this wrapper is not (a few ns a message, which the off state then pays too).
const meter = UsageMeter.prototype;
const original = { accepted: meter.accepted, delivered: meter.delivered, bridged: meter.bridged, flush: meter.flush };
meter.accepted = function (this: UsageMeter, message, primary: Side, secondary: Side | null, now: number): void {
  accepted++;
  if (metering || control) original.accepted.call(this, message, primary, secondary, now);
};
meter.delivered = function (this: UsageMeter, side: Side, message, seconds?: number, at?: number): void {
  if (metering || control) original.delivered.call(this, side, message, seconds, at);
};
meter.bridged = function (this: UsageMeter, message, via: Side, to: Side | null, now: number): void {
  if (metering || control) original.bridged.call(this, message, via, to, now);
};
// The flush (every 5 s) sends what the on slices counted, in whichever slice it falls: its CPU is
// read apart, so the estimate charges it to metering. Its synchronous part is all of it with the
// memory store the embedded gateway has.
meter.flush = function (this: UsageMeter): Promise<void> {
  const before = process.cpuUsage();
  const done = original.flush.call(this);
  const used = process.cpuUsage(before);
  flushCpuUs += used.user + used.system;
  return done;
};

async function main(): Promise<void> {
  const config = loadConfig();
  const cutover = await createCutover(config, { logger: createLogger(config.http.logLevel) });
  void cutover.start();
  await cutover.app.listen({ host: config.http.host, port: config.http.port });

  let slices: SwitchSlice[] | undefined;
  let mark = process.cpuUsage();
  let slice = 0;
  setInterval(() => {
    const used = process.cpuUsage(mark);
    mark = process.cpuUsage();
    slices?.push({ pair: Math.floor(slice / 2), metered: metering, cpuUs: used.user + used.system, messages: accepted, flushCpuUs });
    accepted = 0;
    flushCpuUs = 0;
    slice++;
    // Each pair's order is a coin's: the gateway's own once-a-second work (the guard, the state
    // poll) would otherwise fall in slices of one state only, and lean a whole process's figure.
    metering = slice % 2 === 1 ? !metering : Math.random() < 0.5;
  }, sliceMs);
  process.on('SIGUSR1', () => {
    slices = [];
  });
  process.on('SIGUSR2', () => {
    const report: SwitchReport = { sliceMs, control, slices: slices ?? [] };
    // Whole or not at all: the bench reads it as soon as it is there.
    writeFileSync(`${reportFile}.part`, `${SWITCH_REPORT_PREFIX}${JSON.stringify(report)}\n`);
    renameSync(`${reportFile}.part`, reportFile);
    slices = undefined;
  });
  process.once('SIGTERM', () => void cutover.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`metering switch server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

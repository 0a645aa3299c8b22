import type { Logger } from 'pino';
import type { MigrationReader, MigrationWriter } from '../../src/adapters/migration-side.js';
import { itemsDone, type Counters, type JobMode } from '../../src/domain/migration/job.js';
import type { PlanTotals } from '../../src/domain/migration/estimate.js';
import { MemoryStateStore } from '../../src/infra/memory/memory-state-store.js';
import { MigrationControl, type MigrationStatus } from '../../src/services/migration/migration-control.js';
import { MigrationRunner } from '../../src/services/migration/migration-runner.js';
import type { MigrationStore } from '../../src/services/ports/migration-store.js';
import type { MigrationTelemetry } from '../../src/services/ports/migration-telemetry.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';
import { StateView } from '../../src/services/state-view.js';
import { cpuSeconds } from './cpu.js';
import { RssSampler, fullGc, heapUsedMb, peakRssMb, resetPeak, rssMb } from './memory-use.js';

const OPERATOR = { name: 'bench', role: 'operator' as const };
/**
 * The runner reads the job every 100 ms (the gateway: every 1 s) so that a job's end, which waits
 * for a poll to finalize it, is seen within 0.1 s instead of adding up to 1 s to a short run.
 */
const RUNNER_POLL_MS = 100;
const STATUS_POLL_MS = 100;
/** A job that does nothing for this long has stalled: the bench fails instead of hanging. */
const STALL_MS = 60_000;

/** Retries and failed units, which NO_MIGRATION_TELEMETRY would hide: a run that needed them says so. */
class ErrorCounts implements MigrationTelemetry {
  retries = 0;
  unitFailures = 0;
  migrationItems(): void {}
  migrationMismatches(): void {}
  migrationError(_side: 'old' | 'new', what: 'retry' | 'unit_failed'): void {
    if (what === 'retry') this.retries++;
    else this.unitFailures++;
  }
  migrationProgress(): void {}
}

export interface RigOptions {
  store: MigrationStore;
  source: MigrationReader;
  target: MigrationWriter;
  pageSize: number;
  concurrency: number;
  leaseMs: number;
  logger: Logger;
}

/** One gateway instance's migration engine, wired as main.ts wires it but for the runner's poll and the telemetry; no rate limits. */
export class MigrationRig {
  private constructor(
    readonly control: MigrationControl,
    readonly errors: ErrorCounts,
    private readonly runner: MigrationRunner,
    private readonly stateView: StateView,
  ) {}

  static async start(options: RigOptions): Promise<MigrationRig> {
    const { store, source, target, pageSize, concurrency, leaseMs, logger } = options;
    const stateStore = new MemoryStateStore();
    const stateView = new StateView({ store: stateStore, migration: 'bench', pollIntervalMs: 1_000, logger, telemetry: NO_TELEMETRY });
    await stateView.start();
    const telemetry = new ErrorCounts();
    const runner = new MigrationRunner({
      store, source, target, owner: 'bench', logger, telemetry, pageSize, concurrency, leaseMs, oldReadsPerSecond: 0, newWritesPerSecond: 0, pollMs: RUNNER_POLL_MS,
    });
    const control = new MigrationControl({
      store, stateStore, stateView, runner, source, target, instanceId: 'bench', logger, pageSize, oldReadsPerSecond: 0, newWritesPerSecond: 0, requireVerified: false,
    });
    runner.start();
    return new MigrationRig(control, telemetry, runner, stateView);
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    this.stateView.stop();
  }
}

export interface JobFigures {
  mode: JobMode;
  /** The job's own start to its end (the plan's listing walk included), from the store's times. */
  wallS: number;
  messages: number;
  items: number;
  messagesPerS: number;
  itemsPerS: number;
  counters: Counters;
  expected: PlanTotals;
  verifiedUsers: number;
  retries: number;
  unitFailures: number;
  /** This process: RSS after a full GC right before the job, and its sampled peak during it. */
  rssStartMb: number;
  rssPeakMb: number;
  /** The same peak as the kernel kept it (VmHWM since the job's start), which no sampling interval can miss. */
  rssPeakHwmMb: number;
  /** Heap still live after the job and a full GC, over its start: what a memory target now holds. */
  heapRetainedMb: number;
  /** CPU seconds each named process used during the job (this one is `engine`). */
  cpuS: Record<string, number>;
  /** Peak RSS of each other process during the job (VmHWM; over its whole life when it could not be reset). */
  peakRssMb: Record<string, number>;
  peakWindow: 'job' | 'lifetime';
}

/** Runs one job (copy or verify) to its end and measures it. `others` are the child processes to watch. */
export async function runJob(rig: MigrationRig, mode: JobMode, others: Record<string, number | undefined>): Promise<JobFigures> {
  fullGc();
  const heapStart = heapUsedMb();
  const rssStart = rssMb();
  const pids: Record<string, number | undefined> = { engine: process.pid, ...others };
  const cpuStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  let reset = true;
  for (const pid of Object.values(pids)) reset = resetPeak(pid) && reset;
  const retriesStart = rig.errors.retries;
  const failuresStart = rig.errors.unitFailures;
  const sampler = new RssSampler();
  let status: MigrationStatus;
  let rssPeak: number;
  try {
    status = await rig.control.start(OPERATOR, { mode, redrive: false, reason: `bench ${mode}`, settleMs: 0 });
    status = await untilDone(rig.control, status.job.id);
  } finally {
    rssPeak = sampler.stop();
  }
  const cpuS = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - (cpuStart[name] as number)]));
  const rssPeakHwm = peakRssMb(process.pid);
  const peaks = Object.fromEntries(Object.entries(others).map(([name, pid]) => [name, peakRssMb(pid)]));
  fullGc();
  const { job, counters } = status;
  const wallS = ((job.finishedAt as number) - job.startedAt) / 1000;
  const messages = mode === 'copy' ? (counters['messages.created'] ?? 0) + (counters['messages.existing'] ?? 0) : counters['messages.verified'] ?? 0;
  const items = itemsDone(status);
  return {
    mode, wallS, messages, items, messagesPerS: messages / wallS, itemsPerS: items / wallS, counters, expected: job.expected, verifiedUsers: status.verifiedUsers,
    retries: rig.errors.retries - retriesStart, unitFailures: rig.errors.unitFailures - failuresStart,
    rssStartMb: rssStart, rssPeakMb: rssPeak, rssPeakHwmMb: rssPeakHwm, heapRetainedMb: heapUsedMb() - heapStart, cpuS, peakRssMb: peaks, peakWindow: reset ? 'job' : 'lifetime',
  };
}

async function untilDone(control: MigrationControl, jobId: string): Promise<MigrationStatus> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const status = await control.status();
    if (status.job.id !== jobId) throw new Error(`job ${jobId} was replaced by ${status.job.id}`);
    if (status.job.status === 'done') return status;
    const done = itemsDone(status);
    if (done !== last) {
      last = done;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > STALL_MS) {
      throw new Error(`${status.job.mode} job stalled: nothing done for ${STALL_MS / 1000} s; status ${status.job.status}, counters ${JSON.stringify(status.counters)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
  }
}

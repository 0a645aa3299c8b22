import type { Logger } from 'pino';
import { emptyCounts, latencyBucket, type SecondSample } from '../domain/guard/window.js';
import type { Side } from '../domain/message.js';
import type { TrafficWindows } from './ports/traffic-windows.js';
import type { AdapterOp, CallOutcome } from './ports/telemetry.js';

/**
 * Counts this instance's sends per side in one-second buckets (in memory, a few field increments
 * per call) and flushes closed seconds to the fleet-wide windows once a second.
 */
export class TrafficRecorder {
  private readonly open = new Map<number, SecondSample>();
  /** The second most calls land in, kept at hand (the map lookup is for the seconds around it). */
  private current: SecondSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private failing = false;

  constructor(
    private readonly windows: TrafficWindows,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  record(side: Side, op: AdapterOp, outcome: CallOutcome, seconds: number): void {
    if (op !== 'send') return;
    const second = Math.floor(this.clock() / 1000);
    let sample = this.current;
    if (sample?.second !== second) {
      sample = this.open.get(second);
      if (!sample) {
        sample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
        this.open.set(second, sample);
      }
      this.current = sample;
    }
    const counts = sample.sides[side];
    counts.requests++;
    switch (outcome) {
      case 'ok': break;
      case 'timeout': counts.errors++; counts.timeouts++; break;
      case 'unavailable': counts.errors++; counts.unavailable++; break;
      case 'vendor_error': counts.errors++; counts.vendorErrors++; break;
      case 'rejected': counts.errors++; counts.rejected++; break;
    }
    counts.latency[latencyBucket(seconds * 1000)]!++;
  }

  /** Flushes a little after each second turns, so the guard reading at +500 ms sees it. */
  start(): void {
    const schedule = (): void => {
      const delay = 1000 - (this.clock() % 1000) + 100;
      this.timer = setTimeout(() => {
        void this.flush().finally(schedule);
      }, delay);
      this.timer.unref();
    };
    schedule();
  }

  stop(): Promise<void> {
    clearTimeout(this.timer);
    return this.flush(true);
  }

  /** Sends every closed second (all of them when `everything`); keeps them if the store is away. */
  async flush(everything = false): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    const current = Math.floor(this.clock() / 1000);
    const closed = [...this.open.values()].filter((s) => everything || s.second < current);
    try {
      if (closed.length > 0) await this.windows.add(closed);
      for (const sample of closed) this.open.delete(sample.second);
      if (this.current && !this.open.has(this.current.second)) this.current = undefined;
      if (this.failing) this.logger.info('traffic windows reachable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn({ err: { message: (err as Error).message } }, 'cannot flush traffic windows; the guard sees a gap meanwhile');
      this.failing = true;
      // Bounded: a long outage drops the oldest seconds rather than growing without end.
      for (const sample of closed) if (sample.second < current - 300) this.open.delete(sample.second);
      if (this.current && !this.open.has(this.current.second)) this.current = undefined;
    } finally {
      this.flushing = false;
    }
  }
}

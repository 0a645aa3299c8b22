import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MB = 1024 * 1024;

export function rssMb(): number {
  return process.memoryUsage.rss() / MB;
}

/** This process's RSS sampled on a timer: the peak a job reached, not only where it ended. */
export class RssSampler {
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, process.memoryUsage.rss());
    }, intervalMs);
  }

  /** Stops sampling; the peak in MB, the last reading included. */
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak / MB;
  }
}

let collect: (() => void) | undefined;

/**
 * A full GC, so a job starts from a settled heap and what a memory target retains can be told apart
 * from garbage. Turned on at run time: the npm script runs plain `node`, without --expose-gc.
 */
export function fullGc(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

export function heapUsedMb(): number {
  return process.memoryUsage().heapUsed / MB;
}

/**
 * Another process's peak RSS (VmHWM) in MB, from /proc; NaN off Linux or once it exited. Since the
 * last `resetPeak` when that worked, else over the process's whole life.
 */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Starts a new VmHWM window at the current RSS (Linux: `5` to clear_refs); false when not allowed. */
export function resetPeak(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

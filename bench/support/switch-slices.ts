import { median } from './median-interval.js';

/** How bench/metering-switch-server.ts prints its slices: one line, this prefix, then the JSON. */
export const SWITCH_REPORT_PREFIX = 'metering-switch ';

/** One slice of the switch: the meter on or off for its whole length. */
export interface SwitchSlice {
  /** Slices 2k and 2k + 1 are pair k: one of each state, in an order drawn per pair. */
  pair: number;
  metered: boolean;
  /** The gateway process's CPU over the slice, all threads. */
  cpuUs: number;
  messages: number;
  /** Of `cpuUs`, what the meter's flush took (it sends what the metered slices counted). */
  flushCpuUs: number;
}

export interface SwitchReport {
  sliceMs: number;
  /** The A/A: metered in both states. */
  control: boolean;
  slices: SwitchSlice[];
}

export interface SwitchEstimate {
  /** Per pair of slices: CPU per message metered over unmetered, minus 1. */
  added: number[];
  /** The same over every kept slice pooled: total CPU over total messages, per state. */
  pooled: number;
  /** Slices left out: the first and last (the load starting and stopping), their pairs, and pairs with a slice under half the median's messages. */
  dropped: number;
}

/**
 * Each pair of slices (one of each state) gives what metering adds to a message's CPU. The
 * flushes' CPU is taken out of the slices they fell in and charged by messages: to the metered
 * slices, or in a control to every slice (both states metered).
 */
export function switchEstimate(report: SwitchReport): SwitchEstimate {
  const inner = report.slices.slice(1, -1);
  const floor = inner.length > 0 ? median(inner.map((s) => s.messages)) / 2 : 0;
  const charged = (s: SwitchSlice): boolean => report.control || s.metered;
  const flushPerMessage = sum(inner, (s) => s.flushCpuUs) / Math.max(1, sum(inner.filter(charged), (s) => s.messages));
  const cpuOf = (s: SwitchSlice): number => s.cpuUs - s.flushCpuUs + (charged(s) ? flushPerMessage * s.messages : 0);
  const added: number[] = [];
  const kept: SwitchSlice[] = [];
  for (let i = 0; i + 1 < inner.length; i++) {
    const pair = [inner[i]!, inner[i + 1]!];
    if (pair[0]!.pair !== pair[1]!.pair) continue;
    i++;
    const on = pair.find((s) => s.metered);
    const off = pair.find((s) => !s.metered);
    if (!on || !off || on.messages < floor || off.messages < floor || floor === 0) continue;
    added.push(cpuOf(on) / on.messages / (cpuOf(off) / off.messages) - 1);
    kept.push(on, off);
  }
  const perMessage = (metered: boolean): number => {
    const slices = kept.filter((s) => s.metered === metered);
    return sum(slices, cpuOf) / sum(slices, (s) => s.messages);
  };
  return { added, pooled: kept.length > 0 ? perMessage(true) / perMessage(false) - 1 : Number.NaN, dropped: report.slices.length - kept.length };
}

function sum(slices: readonly SwitchSlice[], of: (s: SwitchSlice) => number): number {
  return slices.reduce((total, s) => total + of(s), 0);
}

import { SIDES, type Side } from '../../domain/message.js';
import { addHour, emptyHour, type HourUsage, type UsageBatch, type UsageStore } from '../../services/ports/usage-store.js';

/** Minutes of users online kept back from the newest one added (as the Redis store's time to live). */
const MINUTES_KEPT = 180;

/**
 * Usage in memory (one instance, the embedded default): exact sets stand in for HyperLogLogs, and
 * an hour's peak is raised to a minute's count after each add, as in Redis.
 */
export class MemoryUsageStore implements UsageStore {
  private readonly byHour = new Map<number, Record<Side, HourUsage>>();
  private readonly users = new Map<string, Set<string>>();
  private readonly online = new Map<number, Record<Side, Set<string>>>();

  async add(batches: UsageBatch[]): Promise<void> {
    for (const batch of batches) {
      let hour = this.byHour.get(batch.hour);
      if (!hour) this.byHour.set(batch.hour, (hour = { old: emptyHour(), new: emptyHour() }));
      const { day, month } = periodsOf(batch.hour);
      for (const side of SIDES) {
        addHour(hour[side], batch.sides[side]);
        for (const period of [day, month]) {
          const key = `${side}:${period}`;
          let set = this.users.get(key);
          if (!set) this.users.set(key, (set = new Set()));
          for (const user of batch.users[side]) set.add(user);
        }
      }
      for (const { minute, users } of batch.online) {
        let seen = this.online.get(minute);
        if (!seen) this.online.set(minute, (seen = { old: new Set(), new: new Set() }));
        for (const side of SIDES) {
          for (const user of users[side]) seen[side].add(user);
          hour[side].peakConcurrentUsers = Math.max(hour[side].peakConcurrentUsers, seen[side].size);
        }
        this.forgetBefore(minute - MINUTES_KEPT);
      }
    }
  }

  private forgetBefore(minute: number): void {
    for (const kept of this.online.keys()) if (kept < minute) this.online.delete(kept);
  }

  async hours(from: number, to: number): Promise<Map<number, Record<Side, HourUsage>>> {
    const out = new Map<number, Record<Side, HourUsage>>();
    for (const [hour, usage] of this.byHour) {
      if (hour < from || hour > to) continue;
      const copy = { old: emptyHour(), new: emptyHour() };
      for (const side of SIDES) addHour(copy[side], usage[side]);
      out.set(hour, copy);
    }
    return out;
  }

  async activeUsers(side: Side, day: string, month: string): Promise<{ day: number; month: number }> {
    return { day: this.users.get(`${side}:${day}`)?.size ?? 0, month: this.users.get(`${side}:${month}`)?.size ?? 0 };
  }
}

/** The UTC day and month an hour (since the epoch) falls in: `2026-12-01`, `2026-12`. */
export function periodsOf(hour: number): { day: string; month: string } {
  const iso = new Date(hour * 3_600_000).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

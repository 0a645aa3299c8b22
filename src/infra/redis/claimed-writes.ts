import type { OwedWrite } from '../../services/ports/outbox.js';
import { FifoQueue } from '../memory/fifo-queue.js';

/**
 * Secondary writes a commit leased to this instance as it queued them (see lua/commit-4.lua),
 * waiting for the local worker's next lease. Their members in Redis carry this instance's lease,
 * so a crash loses nothing: once the lease runs out another instance takes them. The records stay
 * here rather than making a round trip to Redis and back. Each entry remembers since when its
 * lease was last confirmed, so long waits can be renewed before the lease runs out.
 */
export class ClaimedWrites {
  /** Per owed set: the writes in order, and member → since when its lease stands (insertion order is age order). */
  private readonly queues = new Map<string, { writes: FifoQueue<OwedWrite>; since: Map<string, { at: number; write: OwedWrite }> }>();

  add(set: string, write: OwedWrite, since: number): void {
    let queue = this.queues.get(set);
    if (!queue) this.queues.set(set, (queue = { writes: new FifoQueue(), since: new Map() }));
    queue.writes.push(write);
    queue.since.set(write.ref, { at: since, write });
  }

  /** Writes of `set` whose lease was last confirmed before `before`, oldest first. */
  olderThan(set: string, before: number): OwedWrite[] {
    const old: OwedWrite[] = [];
    for (const { at, write } of this.queues.get(set)?.since.values() ?? []) {
      if (at >= before) break;
      old.push(write);
    }
    return old;
  }

  /** Their leases were renewed at `now`: they move to the young end, keeping the age order. */
  renewed(set: string, writes: OwedWrite[], now: number): void {
    const queued = this.queues.get(set)?.since;
    for (const write of writes) {
      if (queued?.delete(write.ref)) queued.set(write.ref, { at: now, write });
    }
  }

  /** Up to `max` of the oldest writes of `set`, now handed to the caller. */
  take(set: string, max: number): OwedWrite[] {
    const queue = this.queues.get(set);
    const taken: OwedWrite[] = [];
    while (queue && taken.length < max) {
      const write = queue.writes.shift();
      if (!write) break;
      // Dropped since (another instance holds it now): not ours to write.
      if (queue.since.delete(write.ref)) taken.push(write);
    }
    return taken;
  }

  /** Forgets writes another instance took over; they are skipped when their turn comes. */
  drop(set: string, refs: Iterable<string>): void {
    const queue = this.queues.get(set);
    for (const ref of refs) queue?.since.delete(ref);
  }

  /** Whether member `ref` of `set` waits here (a takeover must not deliver it a second time). */
  has(set: string, ref: string): boolean {
    return this.queues.get(set)?.since.has(ref) ?? false;
  }

  /** Every waiting write by owed set, all handed over (at shutdown). */
  takeAll(): Array<[set: string, writes: OwedWrite[]]> {
    const all: Array<[string, OwedWrite[]]> = [];
    for (const [set, queue] of this.queues) {
      if (queue.since.size > 0) all.push([set, [...queue.since.values()].map(({ write }) => write)]);
    }
    this.queues.clear();
    return all;
  }

  size(set: string): number {
    return this.queues.get(set)?.since.size ?? 0;
  }
}

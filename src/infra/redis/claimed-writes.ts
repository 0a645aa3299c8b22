import type { OwedWrite } from '../../services/ports/outbox.js';
import { FifoQueue } from '../memory/fifo-queue.js';

/**
 * Secondary writes a commit leased to this instance together with queueing them (see
 * lua/commit-4.lua), waiting for the local worker's next lease. They are already in this
 * instance's pending list in Redis, so a crash loses nothing: another lease takes them over.
 * The records stay here rather than making a round trip to Redis and back. Each entry remembers
 * since when its lease was last confirmed, so long waits can be renewed before the lease runs out.
 */
export class ClaimedWrites {
  /** Per stream: the writes in order, and entry id → since when its lease stands (insertion order is age order). */
  private readonly queues = new Map<string, { writes: FifoQueue<OwedWrite>; refs: Map<string, number> }>();

  add(stream: string, write: OwedWrite, since: number): void {
    let queue = this.queues.get(stream);
    if (!queue) this.queues.set(stream, (queue = { writes: new FifoQueue(), refs: new Map() }));
    queue.writes.push(write);
    queue.refs.set(write.ref, since);
  }

  /** Entry ids of `stream` whose lease was last confirmed before `before`, oldest first. */
  olderThan(stream: string, before: number): string[] {
    const old: string[] = [];
    for (const [ref, since] of this.queues.get(stream)?.refs ?? []) {
      if (since >= before) break;
      old.push(ref);
    }
    return old;
  }

  /** Their leases were renewed at `now`: they move to the young end, keeping the age order. */
  renewed(stream: string, refs: string[], now: number): void {
    const queued = this.queues.get(stream)?.refs;
    for (const ref of refs) {
      if (queued?.delete(ref)) queued.set(ref, now);
    }
  }

  /** Up to `max` of the oldest writes of `stream`, now handed to the caller. */
  take(stream: string, max: number): OwedWrite[] {
    const queue = this.queues.get(stream);
    const taken: OwedWrite[] = [];
    while (queue && taken.length < max) {
      const write = queue.writes.shift();
      if (!write) break;
      // Dropped since (another instance holds it now): not ours to write.
      if (queue.refs.delete(write.ref)) taken.push(write);
    }
    return taken;
  }

  /** Forgets entries another instance took over; they are skipped when their turn comes. */
  drop(stream: string, refs: string[]): void {
    const queue = this.queues.get(stream);
    for (const ref of refs) queue?.refs.delete(ref);
  }

  /** Whether entry `ref` of `stream` waits here (a takeover must not deliver it a second time). */
  has(stream: string, ref: string): boolean {
    return this.queues.get(stream)?.refs.has(ref) ?? false;
  }

  /** Every waiting entry id by stream, all handed over (at shutdown). */
  takeAll(): Array<[stream: string, refs: string[]]> {
    const all: Array<[string, string[]]> = [];
    for (const [stream, queue] of this.queues) {
      if (queue.refs.size > 0) all.push([stream, [...queue.refs.keys()]]);
    }
    this.queues.clear();
    return all;
  }

  size(stream: string): number {
    return this.queues.get(stream)?.refs.size ?? 0;
  }
}

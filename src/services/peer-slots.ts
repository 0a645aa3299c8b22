/**
 * A small number per peer key the gateway has seen (its slot: dense from 0), so what the gateway
 * keeps per user lives in typed arrays indexed by slot instead of a map of its own each. One hash
 * lookup per party of a message then serves routing and metering alike.
 *
 * Bounded: when full, every slot is released at once. A slot read before a release no longer
 * names its peer: holders compare `generation`, and `onRelease` listeners reset their arrays.
 */
export class PeerSlots {
  private readonly slots = new Map<string, number>();
  private readonly listeners: Array<() => void> = [];
  private released = 0;

  constructor(readonly capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1; got ${capacity}`);
  }

  /** Bumped by every release: a slot is valid only with the generation it was read in. */
  get generation(): number {
    return this.released;
  }

  /** `key`'s slot, assigned on first sight (releasing every slot first when full). */
  slotOf(key: string): number {
    const slot = this.slots.get(key);
    if (slot !== undefined) return slot;
    if (this.slots.size >= this.capacity) this.release();
    const assigned = this.slots.size;
    this.slots.set(key, assigned);
    return assigned;
  }

  /** Called after each release, before any slot is handed out again. */
  onRelease(listener: () => void): void {
    this.listeners.push(listener);
  }

  private release(): void {
    this.slots.clear();
    this.released++;
    for (const listener of this.listeners) listener();
  }
}

const DEFAULT_CAPACITY = 200_000;

/**
 * One flush at the end of the event loop's turn for every batcher that has work, so the scripts
 * of a turn (begins and commits) leave in the same tick and go to Redis in one auto-pipelined write.
 */
export class TurnFlush {
  private readonly due = new Set<() => void>();
  private scheduled = false;

  schedule(flush: () => void): void {
    this.due.add(flush);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const flushes = [...this.due];
      this.due.clear();
      for (const run of flushes) run();
    });
  }
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers calls and runs them as one batch per shard (one script call instead of one per
 * message), then answers each call with its own result. A shard has at most `maxInFlight`
 * batches in flight: calls made meanwhile wait for one to come back and then leave together
 * (group commit). Alone, a call waits only for the end of the event loop's turn; under load,
 * batches grow with the load instead of the number of round trips, which is what each script call
 * and socket write costs. Two in flight let Redis run one batch while the gateway gathers the
 * next, instead of each waiting for the other; batches of one shard share a connection, so Redis
 * runs them in the order they left.
 */
export class ShardBatcher<T, R> {
  /** Waiting calls by shard (only shards that have some). */
  private readonly pending = new Map<number, Waiting<T, R>[]>();
  /** Batches in flight, by shard (only shards that have some). */
  private readonly inFlight = new Map<number, number>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly turn: TurnFlush,
    /** Runs one batch; answers with one result per item, in order. */
    private readonly run: (shard: number, items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 1,
    /** Bounds one script call (a Lua script holds Redis while it runs). */
    private readonly maxBatch = 256,
  ) {}

  add(shard: number, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let waiting = this.pending.get(shard);
      if (!waiting) this.pending.set(shard, (waiting = []));
      waiting.push({ item, resolve, reject });
      if (!this.full(shard)) this.turn.schedule(this.flush);
    });
  }

  /** Resolves once nothing is waiting or running (for close). */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.running.size > 0) {
      if (this.pending.size > 0) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(this.running);
    }
  }

  private readonly flush = (): void => {
    for (const [shard, waiting] of this.pending) {
      if (this.full(shard)) continue;
      this.pending.delete(shard);
      const chunks: Promise<void>[] = [];
      for (let start = 0; start < waiting.length; start += this.maxBatch) chunks.push(this.runChunk(shard, waiting.slice(start, start + this.maxBatch)));
      this.inFlight.set(shard, (this.inFlight.get(shard) ?? 0) + 1);
      const done = Promise.all(chunks).then(() => {
        const left = this.inFlight.get(shard)! - 1;
        if (left === 0) this.inFlight.delete(shard);
        else this.inFlight.set(shard, left);
        // What gathered while this batch was out leaves now, in this turn's flush.
        if (this.pending.has(shard)) this.turn.schedule(this.flush);
      });
      this.running.add(done);
      void done.finally(() => this.running.delete(done));
    }
  };

  private full(shard: number): boolean {
    return (this.inFlight.get(shard) ?? 0) >= this.maxInFlight;
  }

  private runChunk(shard: number, waiting: Waiting<T, R>[]): Promise<void> {
    return this.run(shard, waiting.map((w) => w.item)).then(
      (results) => {
        for (let i = 0; i < waiting.length; i++) waiting[i]!.resolve(results[i]!);
      },
      (err: unknown) => {
        for (const w of waiting) w.reject(err);
      },
    );
  }
}

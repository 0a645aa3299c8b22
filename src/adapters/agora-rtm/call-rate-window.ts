/**
 * Lets at most `perWindow` calls start in any trailing `windowMs`, in arrival order. This is the
 * rule agora-rtm-sdk itself applies per client (a call when 20 others started in the last 1,000 ms
 * fails with -10021), so a window, not a bucket with a burst, is what keeps a writer under it.
 * Callers take a turn right before the SDK call; `slackMs` covers the gap between the two clocks.
 */
export class CallRateWindow {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perWindow: number,
    private readonly windowMs = 1000,
    private readonly slackMs = 50,
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(perWindow) && perWindow >= 1)) {
      throw new RangeError(`perWindow must be a positive integer, got ${perWindow}`);
    }
  }

  /** Resolves when this caller may start its call. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    const span = this.windowMs + this.slackMs;
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= t - span) this.starts.shift();
      if (this.starts.length < this.perWindow) {
        this.starts.push(t);
        return;
      }
      const oldest = this.starts[0] ?? t;
      await new Promise((resolve) => setTimeout(resolve, oldest + span - t + 1));
    }
  }
}

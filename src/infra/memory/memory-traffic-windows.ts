import { addCounts, emptyCounts, type SecondSample } from '../../domain/guard/window.js';
import type { TrafficWindows } from '../../services/ports/traffic-windows.js';

/** Fleet windows for one instance (the embedded default): a map of seconds, kept 15 minutes. */
export class MemoryTrafficWindows implements TrafficWindows {
  private readonly seconds = new Map<number, SecondSample>();

  constructor(private readonly retainSeconds = 900) {}

  async add(samples: SecondSample[]): Promise<void> {
    for (const sample of samples) {
      const into = this.seconds.get(sample.second) ?? { second: sample.second, sides: { old: emptyCounts(), new: emptyCounts() } };
      addCounts(into.sides.old, sample.sides.old);
      addCounts(into.sides.new, sample.sides.new);
      this.seconds.set(sample.second, into);
    }
    const oldest = Math.max(...samples.map((s) => s.second)) - this.retainSeconds;
    for (const second of this.seconds.keys()) if (second < oldest) this.seconds.delete(second);
  }

  async read(from: number, to: number): Promise<SecondSample[]> {
    return [...this.seconds.values()].filter((s) => s.second >= from && s.second <= to);
  }
}

import type { Logger } from 'pino';
import type { MessagingAdapter } from '../adapters/messaging-adapter.js';
import { compareHistory, SETTLE_MS, type ConsistencyMode, type ConsistencyVerdict } from '../domain/consistency.js';
import { otherSide, type HistoryQuery, type OutboundMessage, type Side } from '../domain/message.js';
import type { ConsistencySkip, ConsistencyTelemetry } from './ports/consistency-telemetry.js';

/** Ids of each kind a mismatch log names: enough to look a difference up, bounded for a large page. */
const LOGGED_IDS = 10;

/** A history read that has answered, as the check needs it. */
export interface ServedRead {
  query: HistoryQuery;
  servedBy: Side;
  messages: readonly OutboundMessage[];
  /** The primary failed and its secondary answered. */
  degraded: boolean;
  /** The reader's route writes a secondary: only then is the other side expected to hold the same messages. */
  dualWriting: boolean;
}

export interface ConsistencyCheckDeps {
  sides: Record<Side, MessagingAdapter>;
  telemetry: ConsistencyTelemetry;
  logger: Logger;
  /** Share of reads compared, 0..1. */
  sampleRate: number;
  mode: ConsistencyMode;
  maxInFlight: number;
  random?: () => number;
  clock?: () => number;
  settleMs?: number;
}

/**
 * Reads a sampled share of history reads a second time, from the other side or (A/A) from the
 * same one, and compares the answers. Runs after the read answered and never fails it: every
 * error ends as a metric.
 */
export class ConsistencyCheck {
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly settleMs: number;

  constructor(private readonly deps: ConsistencyCheckDeps) {
    this.random = deps.random ?? Math.random;
    this.clock = deps.clock ?? Date.now;
    this.settleMs = deps.settleMs ?? SETTLE_MS;
  }

  /** Returns at once; the comparison, if this read is sampled, runs on a later turn of the event loop. */
  afterRead(read: ServedRead): void {
    try {
      const { sampleRate, mode } = this.deps;
      if (sampleRate <= 0 || this.random() >= sampleRate) return;
      const skip = this.skipReason(read);
      if (skip) {
        this.deps.telemetry.consistencySkipped(mode, skip);
        return;
      }
      // Taken from the served read's end: that read began one read's latency earlier, far below the settle time.
      const settledUpTo = this.clock() - this.settleMs;
      this.inFlight++;
      // Never rejects: nothing awaits it on the request path.
      const run = this.check(read, settledUpTo).catch(() => undefined).finally(() => {
        this.inFlight--;
        this.running.delete(run);
      });
      this.running.add(run);
    } catch {
      // A fault here must not reach the read that already answered.
    }
  }

  /** Resolves once the comparisons running now have finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private skipReason(read: ServedRead): ConsistencySkip | undefined {
    if (this.deps.mode === 'other-side') {
      if (!read.dualWriting) return 'not_dual_writing';
      if (read.degraded) return 'degraded';
    }
    return this.inFlight >= this.deps.maxInFlight ? 'in_flight_limit' : undefined;
  }

  private async check(read: ServedRead, settledUpTo: number): Promise<void> {
    const { mode, telemetry, logger } = this.deps;
    const comparedSide = mode === 'same-side' ? read.servedBy : otherSide(read.servedBy);
    let verdict: ConsistencyVerdict;
    try {
      // Off the request's turn: a side's synchronous set-up must not delay the response being written.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const compared = await this.deps.sides[comparedSide].history(read.query);
      verdict = compareHistory({ limit: read.query.limit, served: read.messages, compared }, settledUpTo);
    } catch (err) {
      telemetry.consistencyChecked(mode, 'error');
      logger.debug({ err: { message: (err as Error)?.message }, comparedSide, conversation: read.query.conversation }, 'consistency check could not read the compared side');
      return;
    }
    telemetry.consistencyChecked(mode, verdict.result);
    if (verdict.result === 'mismatch') this.report(read, comparedSide, verdict);
  }

  private report(read: ServedRead, comparedSide: Side, verdict: ConsistencyVerdict): void {
    const { mode, telemetry, logger } = this.deps;
    telemetry.consistencyMismatched(mode, 'missing_on_served', verdict.missingOnServed.length);
    telemetry.consistencyMismatched(mode, 'missing_on_compared', verdict.missingOnCompared.length);
    telemetry.consistencyMismatched(mode, 'content', verdict.contentDiffers.length);
    logger.warn({
      consistency: {
        mode,
        conversation: read.query.conversation,
        servedBy: read.servedBy,
        comparedSide,
        query: { limit: read.query.limit, before: read.query.before },
        coverage: verdict.coverage,
        comparedIds: verdict.comparedIds,
        counts: { missingOnServed: verdict.missingOnServed.length, missingOnCompared: verdict.missingOnCompared.length, content: verdict.contentDiffers.length },
        missingOnServed: verdict.missingOnServed.slice(0, LOGGED_IDS),
        missingOnCompared: verdict.missingOnCompared.slice(0, LOGGED_IDS),
        contentDiffers: verdict.contentDiffers.slice(0, LOGGED_IDS),
      },
    }, mode === 'same-side' ? 'two reads of one side answered different history' : 'the sides answered different history');
  }
}

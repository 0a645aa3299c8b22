import { toAdapterError, type AdapterError, type AdapterFailure } from '../adapters/adapter-error.js';
import { deliver, type AdapterHealth, type MessagingAdapter } from '../adapters/messaging-adapter.js';
import type { HistoryQuery, OutboundMessage, Side } from '../domain/message.js';
import type { AdapterOp, Telemetry } from './ports/telemetry.js';

/**
 * The wall clock when the process started: plus `performance.now()`, the time within the clock's
 * steps since, without reading the clock again on the send path.
 */
const TIME_ORIGIN = performance.timeOrigin;

/** Wraps a side's adapter so every call is counted and timed by outcome, in one place. */
export class InstrumentedAdapter implements MessagingAdapter {
  readonly kind: string;

  constructor(
    readonly side: Side,
    readonly inner: MessagingAdapter,
    private readonly telemetry: Telemetry,
    /** Told of every send, for usage and SLA metering (in memory: no I/O here). */
    private readonly metered?: { delivered(side: Side, message: OutboundMessage, seconds: number, at: number): void; failed(side: Side, failure: AdapterFailure): void },
  ) {
    this.kind = inner.kind;
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.timedSend(message);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.timedSend(message);
  }

  // Not a shared wrapper taking a closure: sends are the hot path, and a closure plus an extra
  // promise per call showed up in the profile. `deliver` picks the inner method by recipient.
  private async timedSend(message: OutboundMessage): Promise<void> {
    const started = performance.now();
    try {
      await deliver(this.inner, message);
    } catch (err) {
      throw this.failed('send', started, err);
    }
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    this.telemetry.adapterCall(this.side, 'send', 'ok', seconds);
    this.metered?.delivered(this.side, message, seconds, TIME_ORIGIN + ended);
  }

  async history(query: HistoryQuery): Promise<OutboundMessage[]> {
    const started = performance.now();
    let messages: OutboundMessage[];
    try {
      messages = await this.inner.history(query);
    } catch (err) {
      throw this.failed('history', started, err);
    }
    this.telemetry.adapterCall(this.side, 'history', 'ok', (performance.now() - started) / 1000);
    return messages;
  }

  async health(): Promise<AdapterHealth> {
    try {
      return await this.inner.health();
    } catch (err) {
      return { ok: false, detail: toAdapterError(err).message };
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Counts a failed call and returns the error to throw. */
  private failed(op: AdapterOp, started: number, err: unknown): AdapterError {
    const error = toAdapterError(err);
    this.telemetry.adapterCall(this.side, op, error.failure, (performance.now() - started) / 1000);
    if (op === 'send') this.metered?.failed(this.side, error.failure);
    return error;
  }
}

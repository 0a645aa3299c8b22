import { toAdapterError } from '../adapters/adapter-error.js';
import type { AdapterHealth, MessagingAdapter } from '../adapters/messaging-adapter.js';
import type { HistoryQuery, OutboundMessage, Side } from '../domain/message.js';
import type { AdapterOp, Telemetry } from './ports/telemetry.js';

/** Wraps a side's adapter so every call is counted and timed by outcome, in one place. */
export class InstrumentedAdapter implements MessagingAdapter {
  readonly kind: string;

  constructor(readonly side: Side, readonly inner: MessagingAdapter, private readonly telemetry: Telemetry) {
    this.kind = inner.kind;
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.timed('send', () => this.inner.sendToUser(message));
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.timed('send', () => this.inner.sendToChannel(message));
  }

  history(query: HistoryQuery): Promise<OutboundMessage[]> {
    return this.timed('history', () => this.inner.history(query));
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

  private async timed<T>(op: AdapterOp, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      this.telemetry.adapterCall(this.side, op, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      const error = toAdapterError(err);
      this.telemetry.adapterCall(this.side, op, error.failure, (performance.now() - started) / 1000);
      throw error;
    }
  }
}

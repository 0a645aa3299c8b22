import type { Logger } from 'pino';
import { backoffDelay } from '../domain/backoff.js';
import type { Notifier, RolloutEvent } from '../services/ports/notifier.js';

export interface WebhookTarget {
  url: string;
  headers?: Record<string, string>;
}

/**
 * Posts each event as JSON to every webhook, Slack-compatible (`text` carries the summary; the
 * rest rides along for other receivers). Each post is retried with backoff and bounded in time;
 * `notify` returns at once so it can never hold up a rollback.
 */
export class WebhookNotifier implements Notifier {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly targets: WebhookTarget[],
    private readonly logger: Logger,
    private readonly options: { attempts: number; timeoutMs: number; backoffBaseMs: number } = { attempts: 4, timeoutMs: 3_000, backoffBaseMs: 500 },
  ) {}

  notify(event: RolloutEvent): void {
    const body = JSON.stringify({ text: event.summary, ...event });
    for (const target of this.targets) {
      const delivery = this.deliver(target, body, event.event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits for deliveries under way (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async deliver(target: WebhookTarget, body: string, event: string): Promise<void> {
    const host = safeHost(target.url);
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      try {
        const res = await fetch(target.url, {
          method: 'POST', body, headers: { 'content-type': 'application/json', ...target.headers }, signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (res.ok) return;
        if (res.status < 500 && res.status !== 429) {
          this.logger.error({ webhook: host, status: res.status, event }, 'webhook refused the notification; not retrying');
          return;
        }
      } catch {
        // Network error or timeout: retried below.
      }
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.options.backoffBaseMs, 30_000)));
    }
    this.logger.error({ webhook: host, event, attempts: this.options.attempts }, 'webhook notification failed after retries');
  }
}

/** Webhook URLs often carry a secret in the path (Slack): log the host only. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

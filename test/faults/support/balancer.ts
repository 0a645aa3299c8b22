import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, type Answer } from './gateway-client.js';

export interface BalancerOptions {
  /**
   * Poll each gateway's /readyz this often and send only to the ready ones, as a load balancer
   * does. Unset: every gateway always gets its share (a crash or a Redis outage reaches callers).
   */
  readinessPollMs?: number;
}

interface Target {
  client: GatewayClient;
  ready: boolean;
}

/** How long a send waits for some gateway to be ready before it gives up unsent. */
const NO_TARGET_WAIT_MS = 10_000;
const READYZ_TIMEOUT_MS = 500;

/** A client-side load balancer over gateways: round robin, over the ready ones when polling. */
export class Balancer {
  private readonly targets: Target[];
  private next = 0;
  private polling = false;
  private poller: Promise<void> | undefined;

  constructor(urls: string[], private readonly options: BalancerOptions = {}) {
    this.targets = urls.map((url) => ({ client: new GatewayClient(url), ready: options.readinessPollMs === undefined }));
    if (options.readinessPollMs !== undefined) {
      this.polling = true;
      this.poller = this.poll(options.readinessPollMs);
    }
  }

  /** Resolves once every gateway's /readyz has been asked at least once (when polling). */
  async started(): Promise<void> {
    if (this.options.readinessPollMs === undefined) return;
    await Promise.all(this.targets.map((target) => this.check(target)));
  }

  post(path: string, body: unknown): Promise<Answer> {
    return this.pick().then((target) => (target ? target.client.post(path, body) : { error: 'NO_READY_GATEWAY', at: Date.now() }));
  }

  async close(): Promise<void> {
    this.polling = false;
    await this.poller;
    await Promise.all(this.targets.map((target) => target.client.close()));
  }

  private async pick(): Promise<Target | undefined> {
    const deadline = Date.now() + NO_TARGET_WAIT_MS;
    for (;;) {
      for (let i = 0; i < this.targets.length; i++) {
        const target = this.targets[this.next++ % this.targets.length]!;
        if (target.ready) return target;
      }
      if (Date.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  private async poll(everyMs: number): Promise<void> {
    while (this.polling) {
      await Promise.all(this.targets.map((target) => this.check(target)));
      await sleep(everyMs);
    }
  }

  private async check(target: Target): Promise<void> {
    const answer = await target.client.get('/readyz', READYZ_TIMEOUT_MS);
    target.ready = answer.status === 200;
  }
}

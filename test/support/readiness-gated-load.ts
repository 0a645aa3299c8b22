import { Agent, request } from 'undici';

export interface GatedLoadOptions {
  /** The gateway's base URL. */
  url: string;
  /** Concurrent closed-loop senders, each on a keep-alive connection of one pool. */
  senders: number;
  /** Bearer token for /v1. */
  token: string;
  /** Message ids start with this. */
  prefix: string;
  /** How often /readyz is polled (a load balancer's health check). */
  pollMs?: number;
}

export interface GatedLoadResult {
  /** Ids answered 2xx (202 pending included: accepted, delivered later). */
  accepted: string[];
  /** Requests that got anything else: a non-2xx status, a reset, a timeout. */
  failed: Array<{ id: string; error: string }>;
  /** Readiness answers seen, in order, with the time each came (Date.now()). */
  readiness: Array<{ status: number; at: number }>;
}

/**
 * Load as a load balancer would send it: POSTs in a closed loop while the instance says ready,
 * and no new request once /readyz has answered anything else. Requests already sent run to their
 * answer. A request that fails is recorded, never retried: a test counts them.
 */
export function readinessGatedLoad(options: GatedLoadOptions) {
  const agent = new Agent({ connections: options.senders, keepAliveTimeout: 60_000 });
  const probes = new Agent({ connections: 1 });
  const accepted: string[] = [];
  const failed: GatedLoadResult['failed'] = [];
  const readiness: GatedLoadResult['readiness'] = [];
  let routable = true;
  let stopped = false;
  let notReady = (): void => {};
  const notReadyYet = new Promise<void>((resolve) => { notReady = resolve; });

  const poller = (async () => {
    while (routable && !stopped) {
      let status: number;
      try {
        const res = await request(`${options.url}/readyz`, { dispatcher: probes, headersTimeout: 2_000, bodyTimeout: 2_000 });
        await res.body.dump();
        status = res.statusCode;
      } catch {
        status = 0; // not answering is not ready either
      }
      readiness.push({ status, at: Date.now() });
      if (status !== 200) {
        routable = false;
        notReady();
        break;
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
    }
  })();

  const senders = Array.from({ length: options.senders }, async (_, s) => {
    for (let i = 0; routable && !stopped; i++) {
      const id = `${options.prefix}-${s}-${i}`;
      try {
        const res = await request(`${options.url}/v1/messages`, {
          method: 'POST', dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body: JSON.stringify({ id, from: `sender-${s}`, to: { type: 'user', id: `user-${(s * 7919 + i) % 500}` }, payload: id }),
        });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) accepted.push(id);
        else failed.push({ id, error: `${res.statusCode} ${text.slice(0, 200)}` });
      } catch (err) {
        failed.push({ id, error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}` });
      }
    }
  });

  return {
    /** Resolves when /readyz first answers anything but 200. */
    notReady: notReadyYet,
    /** Waits for every request sent to be answered; stops the loop too if readiness never turned. */
    async finish(): Promise<GatedLoadResult> {
      stopped = true;
      await Promise.all([poller, ...senders]);
      await Promise.all([agent.close(), probes.close()]);
      return { accepted, failed, readiness };
    },
  };
}

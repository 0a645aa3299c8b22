import autocannon from 'autocannon';

export interface LoadOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** Sent as a bearer token with every request, to every server (the bare one ignores it), so the load generator does the same work for each. */
  token: string;
}

export interface LoadResult {
  /** Completed 2xx requests per second over the measured run. */
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  completed: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationS: number;
}

/** Distinct recipients and senders: routing, bucketing and (Redis) sharding see a real spread. */
export const USER_IDS = 10_000;
/** One fixed payload (~100 bytes), the size of a typical chat line with a little JSON around it. */
const PAYLOAD = JSON.stringify({ text: 'Hello from the Cutover bench, how are you today?', lang: 'en' });

/**
 * Bodies for POST /v1/messages: the same shape every time, with the recipient and sender cycling
 * over 10,000 users and a unique message id per request (a repeated id would be a duplicate, not a send).
 */
export class BodySource {
  private n = 0;
  /** Different per process run, so a Redis that outlived a run never sees a repeated id. */
  private readonly tag = `b${Date.now().toString(36)}`;

  next(): string {
    const n = this.n++;
    const to = n % USER_IDS;
    // A stride coprime with USER_IDS so sender/recipient pairs vary too.
    const from = (n * 7_919 + 13) % USER_IDS;
    return `{"id":"${this.tag}-${n}","from":"u${from}","to":{"type":"user","id":"u${to}"},"payload":${JSON.stringify(PAYLOAD)}}`;
  }
}

/**
 * One autocannon run. Latencies of 2xx replies are also kept exactly (µs resolution): autocannon's
 * own histogram stores whole milliseconds, too coarse for a 2 ms p99 budget at 2-10 ms latencies.
 */
function run(options: autocannon.Options, latencies?: Latencies): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
    if (latencies) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
        if (statusCode >= 200 && statusCode < 300) latencies.add(responseTimeMs);
      });
    }
  });
}

/** Every latency of a run in a growable Float64Array; percentiles by sorting once at the end. */
class Latencies {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  /** Nearest-rank percentiles of what was added, e.g. [50, 99]. */
  percentiles(ps: readonly number[]): number[] {
    const sorted = this.values.subarray(0, this.count).sort();
    return ps.map((p) => (this.count === 0 ? Number.NaN : sorted[Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1)]!));
  }
}

/** A warm-up run (discarded: JIT, pools, the first GCs), then the measured run on the same server. */
export interface LoadHooks {
  /** After the warm-up, right before the measured run. */
  onMeasureStart?: () => Promise<void> | void;
  /** Right after the measured run. */
  onMeasureEnd?: () => Promise<void> | void;
}

export async function loadSends(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const bodies = new BodySource();
  const make = (durationS: number): autocannon.Options => ({
    url: options.baseUrl,
    connections: options.connections,
    duration: durationS,
    timeout: 10,
    requests: [{
      method: 'POST',
      path: '/v1/messages',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      // autocannon hands over a fresh copy per request, so setting the body in place is safe (and
      // cheaper for the load generator, which shares the 2 cores with the server, than a spread).
      setupRequest: (request) => {
        request.body = bodies.next();
        return request;
      },
    }],
  });
  if (options.warmupS > 0) await run(make(options.warmupS));
  await hooks.onMeasureStart?.();
  const latencies = new Latencies();
  const result = await run(make(options.durationS), latencies);
  await hooks.onMeasureEnd?.();
  const [p50, p90, p99, max] = latencies.percentiles([50, 90, 99, 100]);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    // The 2xx count over the wall time, not the mean of per-second samples (which drops the partial last second).
    reqPerSec: result['2xx'] / result.duration,
    p50Ms: p50!,
    p90Ms: p90!,
    p99Ms: p99!,
    maxMs: max!,
    completed: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    durationS: result.duration,
  };
}

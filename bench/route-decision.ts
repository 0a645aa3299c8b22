/**
 * The cost of one route decision, in process: Router.route (bucket + Unleash eligibility +
 * decideRoute) over 100k distinct users at canary 50 %, and the parts on their own.
 */
import { pathToFileURL } from 'node:url';
import { bucketOf } from '../src/domain/bucket.js';
import type { Peer } from '../src/domain/message.js';
import { decideRoute } from '../src/domain/route.js';
import { UnleashEligibility } from '../src/infra/flags/unleash-eligibility.js';
import { createLogger } from '../src/infra/logger.js';
import { MemoryStateStore } from '../src/infra/memory/memory-state-store.js';
import { NO_TELEMETRY } from '../src/services/ports/telemetry.js';
import { Router, stickyKey, type Route } from '../src/services/router.js';
import { StateView } from '../src/services/state-view.js';
import { PROJECT_ROOT } from './support/processes.js';
import { fixed, table, verdict } from './support/table.js';

export interface RouteBenchOptions {
  calls: number;
  warmupCalls: number;
  distinctIds: number;
  log: (line: string) => void;
}

export interface RouteRow {
  name: string;
  nsPerCall: number;
  /** Only the rows the ≤ 2 µs target is about carry one. */
  targeted: boolean;
}

export interface RouteReport {
  rows: RouteRow[];
  newShare: number;
  options: RouteBenchOptions;
}

export const ROUTE_TARGET_NS = 2_000;
const FLAG = 'cutover-default';
/** Where the checksums go: a result that escapes the module cannot be optimized away. */
export let sink = 0;

/**
 * Runs `fn` over the ids round-robin: `warmup` calls (JIT), then `calls` timed. The checksum
 * goes to `sink` so the optimizer cannot drop the work.
 */
function measure(peers: readonly Peer[], warmup: number, calls: number, fn: (peer: Peer) => number): { ns: number; checksum: number } {
  let checksum = 0;
  const n = peers.length;
  for (let i = 0; i < warmup; i++) checksum += fn(peers[i % n]!);
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) checksum += fn(peers[i % n]!);
  const elapsed = Number(process.hrtime.bigint() - start);
  return { ns: elapsed / calls, checksum };
}

export async function runRouteDecision(options: RouteBenchOptions): Promise<RouteReport> {
  const logger = createLogger('warn');
  const store = new MemoryStateStore();
  const view = new StateView({ store, migration: 'default', pollIntervalMs: 60_000, logger, telemetry: NO_TELEMETRY });
  await view.start();
  // Canary at 50 %, as in the send bench: every branch of decideRoute is live.
  const initial = view.current();
  const canary = { ...initial, version: initial.version + 1, stage: 'canary' as const, percent: 50 };
  const cas = await store.compareAndSet(initial.version, canary, {
    at: canary.updatedAt, actor: 'bench', role: 'system', action: 'set-stage', before: initial, after: canary,
  });
  if (!cas.ok || view.current().stage !== 'canary') throw new Error('route bench: could not set the canary state');

  const eligibility = new UnleashEligibility({
    flagName: FLAG, bootstrapFile: `${PROJECT_ROOT}config/flags.json`, refreshIntervalMs: 0, fallback: false, instanceId: 'bench', logger,
  });
  await eligibility.ready();
  const router = new Router(view, eligibility, FLAG);

  const peers: Peer[] = Array.from({ length: options.distinctIds }, (_, i) => ({ type: 'user', id: `user-${i}` }));
  let onNew = 0;
  for (const peer of peers) if (router.route(peer).cohort === 'new') onNew++;
  const state = view.current();

  const routeNoSpread = (peer: Peer): Route => {
    const current = view.current();
    const bucket = bucketOf(FLAG, stickyKey(peer));
    const eligible = eligibility.isEligible(peer);
    const decision = decideRoute(current, bucket, eligible);
    return { cohort: decision.cohort, primary: decision.primary, secondary: decision.secondary, bucket, eligible, verified: null, state: current };
  };
  const variants: Array<{ name: string; targeted: boolean; fn: (peer: Peer) => number }> = [
    { name: 'Router.route (bucket + unleash + decideRoute)', targeted: true, fn: (p) => router.route(p).bucket },
    { name: 'bucketOf + decideRoute (pure)', targeted: true, fn: (p) => (decideRoute(state, bucketOf(FLAG, p.id), true).cohort === 'new' ? 1 : 0) },
    // Diagnostic: Router.route's steps with the result built field by field instead of by object spread.
    { name: '  Router.route steps without the object spread', targeted: false, fn: (p) => routeNoSpread(p).bucket },
    { name: '  of which bucketOf (murmurhash3js)', targeted: false, fn: (p) => bucketOf(FLAG, p.id) },
    { name: '  of which UnleashEligibility.isEligible', targeted: false, fn: (p) => (eligibility.isEligible(p) ? 1 : 0) },
  ];
  const rows: RouteRow[] = [];
  for (const variant of variants) {
    options.log(`route: ${variant.name.trim()}: ${options.warmupCalls} warm-up + ${options.calls} timed calls`);
    const { ns, checksum } = measure(peers, options.warmupCalls, options.calls, variant.fn);
    sink ^= checksum;
    rows.push({ name: variant.name, nsPerCall: ns, targeted: variant.targeted });
  }

  view.stop();
  await eligibility.close();
  await store.close();
  return { rows, newShare: onNew / peers.length, options };
}

export function formatRouteReport(report: RouteReport): string {
  const { options } = report;
  const header = ['route decision', 'ns/call', 'µs/call', 'target ≤ 2 µs'];
  const body = report.rows.map((r) => [
    r.name, fixed(r.nsPerCall, 0), fixed(r.nsPerCall / 1_000, 3), r.targeted ? verdict(r.nsPerCall <= ROUTE_TARGET_NS) : '',
  ]);
  return [
    table([header, ...body]),
    '',
    `      ${options.calls.toLocaleString('en-US')} timed calls each after ${options.warmupCalls.toLocaleString('en-US')} warm-up, over ${options.distinctIds.toLocaleString('en-US')} distinct user ids;` +
      ` canary 50 %: ${fixed(report.newShare * 100, 1)} % of them on new`,
  ].join('\n');
}

// Standalone: `node dist/bench/route-decision.js`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRouteDecision({ calls: 1_000_000, warmupCalls: 200_000, distinctIds: 100_000, log: (l) => process.stderr.write(`${l}\n`) })
    .then((report) => process.stdout.write(`${formatRouteReport(report)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`route-decision: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}

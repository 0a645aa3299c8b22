import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { InMemStorageProvider, Unleash, type Context } from 'unleash-client';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import type { Peer } from '../../domain/message.js';
import type { Eligibility } from '../../services/ports/eligibility.js';

export interface UnleashEligibilityOptions {
  flagName: string;
  /**
   * Unleash client-features JSON (`{ version, features: [...] }`): the whole truth offline; online,
   * trusted until the first fetch, so only when configured for that on purpose.
   */
  bootstrapFile?: string;
  /** An Unleash server; unset = offline from the bootstrap file. */
  url?: string;
  token?: string;
  refreshIntervalMs: number;
  /** Eligibility when the flag cannot be evaluated (unknown flag, not synchronized, an error). */
  fallback: boolean;
  instanceId: string;
  logger: Logger;
}

const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 200_000;

/** Stand-in URL: unleash-client requires one even when it only reads its bootstrap. */
const OFFLINE_URL = 'http://127.0.0.1:9/unleash-offline';

/**
 * Eligibility from an Unleash flag through unleash-client. Offline it reads the bootstrap file
 * and never polls; online it polls `url` and, when Unleash goes away, keeps the last flags it had.
 * Fails closed: until flags are known (a fetch, or a bootstrap given on purpose) every peer gets
 * the fallback, and `ready()` waits.
 * Pitfalls handled: offline with no bootstrap never becomes ready (so a missing file is an error),
 * and `destroy()` during a fetch can emit `error` with no listener (we always keep one).
 */
export class UnleashEligibility implements Eligibility {
  private readonly client: Unleash;
  private readonly synchronized: Promise<void>;
  private syncedOnce = false;
  /**
   * Answers by peer, cleared whenever the flags change and every few seconds (a constraint on the
   * time of day must not stick): isEnabled costs ~1.5 µs, a Map hit ~50 ns, on every send.
   */
  private readonly users = new Map<string, boolean>();
  private readonly channels = new Map<string, boolean>();
  private readonly cacheTimer: NodeJS.Timeout;

  constructor(private readonly options: UnleashEligibilityOptions) {
    const online = options.url !== undefined;
    const features = options.bootstrapFile ? readBootstrap(options.bootstrapFile) : undefined;
    if (!online && !features) {
      throw new Error(`flags: no Unleash URL and no bootstrap file; set flags.unleashUrl or flags.bootstrapFile`);
    }
    this.client = new Unleash({
      appName: 'cutover',
      instanceId: options.instanceId,
      url: options.url ?? OFFLINE_URL,
      refreshInterval: online ? options.refreshIntervalMs : 0,
      disableMetrics: !online,
      storageProvider: new InMemStorageProvider(),
      customHeaders: options.token ? { Authorization: options.token } : undefined,
      bootstrap: features ? { data: features } : undefined,
      bootstrapOverride: false,
      skipInstanceCountWarning: true,
    });
    let warned = false;
    this.client.on('error', (err: Error) => {
      if (!warned) options.logger.warn({ err: { message: err.message } }, 'unleash unreachable; evaluating from the last known flags');
      warned = true;
    });
    this.client.on('changed', () => {
      this.clearCache();
      if (warned) options.logger.info('unleash reachable again');
      warned = false;
    });
    this.cacheTimer = setInterval(() => this.clearCache(), CACHE_TTL_MS);
    this.cacheTimer.unref();
    this.synchronized = new Promise((resolve) => {
      this.client.once('synchronized', () => {
        this.syncedOnce = true;
        resolve();
      });
      // Bootstrap data makes the client ready before the first fetch answers.
      this.client.once('ready', () => {
        if (features) {
          this.syncedOnce = true;
          resolve();
        }
      });
    });
  }

  isEligible(peer: Peer): boolean {
    if (!this.syncedOnce) return this.options.fallback;
    const cache = peer.type === 'user' ? this.users : this.channels;
    const cached = cache.get(peer.id);
    if (cached !== undefined) return cached;
    const context: Context = peer.type === 'user' ? { userId: peer.id } : { userId: `channel:${peer.id}`, properties: { peerType: 'channel' } };
    let eligible: boolean;
    try {
      eligible = this.client.isEnabled(this.options.flagName, context, this.options.fallback);
    } catch {
      return this.options.fallback;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(peer.id, eligible);
    return eligible;
  }

  private clearCache(): void {
    this.users.clear();
    this.channels.clear();
  }

  ready(): Promise<void> {
    return this.synchronized;
  }

  async close(): Promise<void> {
    clearInterval(this.cacheTimer);
    this.client.destroy();
    // destroy() strips the repository's listeners; a fetch still in flight then emits `error` into
    // the void, an unhandled rejection that would crash the process at shutdown. Keep one listener.
    const repository = (this.client as unknown as { repository?: { on(event: string, listener: () => void): void } }).repository;
    repository?.on('error', () => {});
  }
}

function readBootstrap(file: string): FeatureInterface[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`flags: bootstrap file ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); set flags.bootstrapFile or CUTOVER_FLAGS_FILE`);
  }
  const parsed = JSON.parse(text) as { features?: unknown };
  if (!Array.isArray(parsed.features)) {
    throw new Error(`flags: bootstrap file ${file} is not Unleash client-features JSON (it needs a "features" array)`);
  }
  // unleash-client validates each feature itself and ignores what it cannot use.
  return parsed.features as FeatureInterface[];
}

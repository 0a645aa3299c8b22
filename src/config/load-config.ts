import { readFileSync } from 'node:fs';
import { parseRedisUrl, RedisUrlError } from '../infra/redis/redis-url.js';
import { Value } from '@sinclair/typebox/value';
import { RESPONSE_GRACE_MS } from '../adapters/agora-rtm/agora-rtm-adapter.js';
import { longestCallMs } from '../adapters/http-legacy-adapter.js';
import { ConfigSchema, SIDE_SCHEMAS, type AdminTokenConfig, type ApiTokenConfig, type ConfigInput, type SideConfig } from './config-schema.js';
import { DEFAULT_GUARD_RULES, type GuardRules } from '../domain/guard/guard-rules.js';
import { checkPlan, type Plan } from '../domain/plan.js';
import { parseDuration } from './duration.js';
import type { Side } from '../domain/message.js';
import type { SlaObjective } from '../domain/usage/sla.js';

/** A config value the process cannot start with; the message names the key and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type EnvParser = 'string' | 'int' | 'number' | 'bool' | 'json' | 'tokens' | 'api-tokens';

/** Environment overrides: each names one config key, so an error can name the variable. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string; parse: EnvParser }> = [
  { env: 'CUTOVER_MIGRATION', path: 'migration', parse: 'string' },
  { env: 'CUTOVER_HOST', path: 'http.host', parse: 'string' },
  { env: 'CUTOVER_PORT', path: 'http.port', parse: 'int' },
  { env: 'CUTOVER_LOG_LEVEL', path: 'http.logLevel', parse: 'string' },
  { env: 'CUTOVER_LOG_REQUESTS', path: 'http.logRequests', parse: 'bool' },
  { env: 'CUTOVER_DRAIN_PERIOD', path: 'http.drainPeriod', parse: 'string' },
  { env: 'CUTOVER_SHUTDOWN_TIMEOUT', path: 'http.shutdownTimeout', parse: 'string' },
  { env: 'CUTOVER_REDIS_URL', path: 'redis.url', parse: 'string' },
  { env: 'CUTOVER_REDIS_SHARDS', path: 'redis.shards', parse: 'int' },
  { env: 'CUTOVER_OLD_SIDE', path: 'sides.old', parse: 'json' },
  { env: 'CUTOVER_NEW_SIDE', path: 'sides.new', parse: 'json' },
  { env: 'CUTOVER_FLAG_NAME', path: 'flags.flagName', parse: 'string' },
  { env: 'CUTOVER_FLAGS_FILE', path: 'flags.bootstrapFile', parse: 'string' },
  { env: 'CUTOVER_UNLEASH_URL', path: 'flags.unleashUrl', parse: 'string' },
  { env: 'CUTOVER_UNLEASH_TOKEN', path: 'flags.unleashToken', parse: 'string' },
  { env: 'CUTOVER_UNLEASH_MIRROR', path: 'flags.mirror', parse: 'json' },
  { env: 'CUTOVER_OUTBOX_INFLIGHT_GRACE', path: 'outbox.inflightGrace', parse: 'string' },
  { env: 'CUTOVER_OUTBOX_BACKOFF_BASE', path: 'outbox.backoffBase', parse: 'string' },
  { env: 'CUTOVER_OUTBOX_MAX_ATTEMPTS', path: 'outbox.maxAttempts', parse: 'int' },
  { env: 'CUTOVER_OUTBOX_BACKOFF_MAX', path: 'outbox.backoffMax', parse: 'string' },
  { env: 'CUTOVER_OUTBOX_LEASE_TIMEOUT', path: 'outbox.leaseTimeout', parse: 'string' },
  { env: 'CUTOVER_STATE_POLL_INTERVAL', path: 'state.pollInterval', parse: 'string' },
  { env: 'CUTOVER_ADMIN_TOKENS', path: 'admin.tokens', parse: 'tokens' },
  { env: 'CUTOVER_API_TOKENS', path: 'api.tokens', parse: 'api-tokens' },
  { env: 'CUTOVER_GUARD_ENABLED', path: 'guard.enabled', parse: 'bool' },
  { env: 'CUTOVER_GUARD_MIN_SAMPLES', path: 'guard.minSamples', parse: 'int' },
  { env: 'CUTOVER_GUARD_WEBHOOKS', path: 'guard.webhooks', parse: 'json' },
  { env: 'CUTOVER_PLAN', path: 'plan', parse: 'json' },
  { env: 'CUTOVER_MIGRATE_REQUIRE_VERIFIED', path: 'migrate.requireVerified', parse: 'bool' },
  { env: 'CUTOVER_BILLING', path: 'billing', parse: 'json' },
  { env: 'CUTOVER_SLA', path: 'sla', parse: 'json' },
  { env: 'CUTOVER_METERING', path: 'metering.enabled', parse: 'bool' },
  { env: 'CUTOVER_BRIDGE_OLD_SECRET', path: 'bridge.old.secret', parse: 'string' },
  { env: 'CUTOVER_BRIDGE_NEW_SECRET', path: 'bridge.new.secret', parse: 'string' },
  { env: 'CUTOVER_BRIDGE_REPLAY_WINDOW', path: 'bridge.replayWindow', parse: 'string' },
  { env: 'CUTOVER_MIGRATE_PAGE_SIZE', path: 'migrate.pageSize', parse: 'int' },
  { env: 'CUTOVER_MIGRATE_CONCURRENCY', path: 'migrate.concurrency', parse: 'int' },
  { env: 'CUTOVER_MIGRATE_LEASE_TIMEOUT', path: 'migrate.leaseTimeout', parse: 'string' },
  { env: 'CUTOVER_MIGRATE_OLD_READS_PER_SECOND', path: 'migrate.oldReadsPerSecond', parse: 'number' },
  { env: 'CUTOVER_MIGRATE_NEW_WRITES_PER_SECOND', path: 'migrate.newWritesPerSecond', parse: 'number' },
  { env: 'CUTOVER_CONSISTENCY_SAMPLE_RATE', path: 'migrate.consistency.sampleRate', parse: 'number' },
  { env: 'CUTOVER_CONSISTENCY_MODE', path: 'migrate.consistency.mode', parse: 'string' },
];

/** The validated config with every duration in milliseconds. */
export interface Config {
  migration: string;
  http: Omit<ConfigInput['http'], 'drainPeriod' | 'shutdownTimeout'> & { drainPeriodMs: number; shutdownTimeoutMs: number };
  redis: { url?: string; shards: number; commandTimeoutMs: number };
  sides: { old: SideConfig; new: SideConfig };
  flags: {
    flagName: string;
    /** Unset with an Unleash server unless configured: its flags are trusted only from a fetch. */
    bootstrapFile?: string;
    unleashUrl?: string;
    unleashToken?: string;
    refreshIntervalMs: number;
    fallbackEligible: boolean;
    mirror?: { adminUrl: string; adminToken: string; flagName: string; project: string; environment: string };
  };
  outbox: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    inflightGraceMs: number;
    dedupeWindowMs: number;
    leaseTimeoutMs: number;
    batchSize: number;
    concurrency: number;
    deadLetterMaxLen: number;
    memoryMaxIds: number;
  };
  state: { pollIntervalMs: number; auditMaxLen: number };
  messages: ConfigInput['messages'];
  plan: Plan;
  guard: { enabled: boolean; rules: GuardRules; streakFailures: number; webhooks: Array<{ url: string; headers?: Record<string, string> }> };
  admin: { tokens: AdminTokenConfig[] };
  /**
   * Service tokens for /v1; operator admin tokens are accepted there too. `open`: /v1 takes
   * anyone, which only the embedded default (no Redis) with no api.tokens does.
   */
  api: { tokens: ApiTokenConfig[]; open: boolean };
  migrate: Omit<ConfigInput['migrate'], 'leaseTimeout'> & { leaseTimeoutMs: number };
  /** What each side charges; a side without a price table is metered but not priced. */
  billing: Partial<Record<Side, ConfigInput['billing']['old'] & object>>;
  /** Each side's SLA, when one is set. */
  sla: Partial<Record<Side, SlaObjective>>;
  metering: { enabled: boolean };
  /** Webhook intake per side; a side without a secret takes no events. */
  bridge: { secrets: Partial<Record<Side, string>>; replayWindowMs: number };
}

export interface LoadOptions {
  /** A config file (JSON); `CUTOVER_CONFIG` names one when this is not given. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values laid over the file and env (tests). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.CUTOVER_CONFIG;
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  for (const { env: name, path, parse } of ENV_OVERRIDES) {
    const text = env[name];
    if (text !== undefined && text !== '') setPath(raw, path, parseEnv(name, text, parse));
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) setPath(raw, path, value);

  const fail = (key: string, message: string, value: unknown): never => {
    const source = ENV_OVERRIDES.find((o) => key === o.path || key.startsWith(`${o.path}.`));
    const via = source && env[source.env] ? ` (from ${source.env})` : file ? ` (in ${file})` : '';
    throw new ConfigError(`config key "${key}"${via}: ${message}; got ${shown(key.split('.'), value)}`);
  };
  // Sides first, each against the schema its `type` names: a union's errors say too little.
  const sides = (raw.sides ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(sides)) {
    const side = sides[name] as { type?: unknown } | undefined;
    const schema = SIDE_SCHEMAS[String(side?.type) as keyof typeof SIDE_SCHEMAS];
    if (!schema) fail(`sides.${name}.type`, `must be one of ${Object.keys(SIDE_SCHEMAS).join(', ')}`, side?.type);
    sides[name] = Value.Default(schema, side);
    const error = Value.Errors(schema, sides[name]).First();
    if (error) fail(`sides.${name}${error.path.replaceAll('/', '.')}`, error.message, error.value);
  }
  const withDefaults = Value.Default(ConfigSchema, raw) as unknown;
  const firstError = Value.Errors(ConfigSchema, withDefaults).First();
  if (firstError) fail(firstError.path.replace(/^\//, '').replaceAll('/', '.') || '(root)', firstError.message, firstError.value);
  return resolve(withDefaults as ConfigInput);
}

function resolve(input: ConfigInput): Config {
  const ms = (key: string, text: string): number => {
    const value = parseDuration(text);
    if (value === undefined) throw new ConfigError(`config key "${key}": not a duration like 90s, 30m or 3d; got ${JSON.stringify(text)}`);
    return value;
  };
  const config: Config = {
    migration: input.migration,
    http: {
      host: input.http.host, port: input.http.port, bodyLimitBytes: input.http.bodyLimitBytes, logLevel: input.http.logLevel, logRequests: input.http.logRequests,
      drainPeriodMs: ms('http.drainPeriod', input.http.drainPeriod),
      shutdownTimeoutMs: ms('http.shutdownTimeout', input.http.shutdownTimeout),
    },
    redis: { url: input.redis.url, shards: input.redis.shards, commandTimeoutMs: ms('redis.commandTimeout', input.redis.commandTimeout) },
    sides: input.sides,
    flags: {
      flagName: input.flags.flagName ?? `cutover-${input.migration}`,
      // Everyone in config/flags.json is eligible: with a server, a pod that has not fetched yet
      // must answer the fallback, not that.
      bootstrapFile: input.flags.bootstrapFile ?? (input.flags.unleashUrl ? undefined : 'config/flags.json'),
      unleashUrl: input.flags.unleashUrl,
      unleashToken: input.flags.unleashToken,
      refreshIntervalMs: ms('flags.refreshInterval', input.flags.refreshInterval),
      fallbackEligible: input.flags.fallbackEligible,
      mirror: input.flags.mirror && { ...input.flags.mirror, flagName: input.flags.mirror.flagName ?? `cutover-${input.migration}-cohort` },
    },
    outbox: {
      maxAttempts: input.outbox.maxAttempts,
      backoffBaseMs: ms('outbox.backoffBase', input.outbox.backoffBase),
      backoffMaxMs: ms('outbox.backoffMax', input.outbox.backoffMax),
      inflightGraceMs: ms('outbox.inflightGrace', input.outbox.inflightGrace),
      dedupeWindowMs: ms('outbox.dedupeWindow', input.outbox.dedupeWindow),
      leaseTimeoutMs: ms('outbox.leaseTimeout', input.outbox.leaseTimeout),
      batchSize: input.outbox.batchSize,
      concurrency: input.outbox.concurrency,
      deadLetterMaxLen: input.outbox.deadLetterMaxLen,
      memoryMaxIds: input.outbox.memoryMaxIds,
    },
    state: { pollIntervalMs: ms('state.pollInterval', input.state.pollInterval), auditMaxLen: input.state.auditMaxLen },
    messages: input.messages,
    plan: {
      steps: input.plan.steps.map((step, i) => ({ percent: step.percent, bakeMs: ms(`plan.steps.${i}.bake`, step.bake) })),
      autoPromote: input.plan.autoPromote,
    },
    guard: {
      enabled: input.guard.enabled,
      rules: {
        ...DEFAULT_GUARD_RULES,
        judgeWindowSeconds: Math.round(ms('guard.judgeWindow', input.guard.judgeWindow) / 1000),
        minSamples: input.guard.minSamples,
        maxErrorRate: input.guard.maxErrorRate,
        maxErrorRateIncrease: input.guard.maxErrorRateIncrease,
        maxP99Ms: ms('guard.maxP99', input.guard.maxP99),
        maxP99IncreaseMs: ms('guard.maxP99Increase', input.guard.maxP99Increase),
        latencyWindowSeconds: Math.round(ms('guard.latencyWindow', input.guard.latencyWindow) / 1000),
        latencyMinSamples: input.guard.latencyMinSamples,
        consecutiveBreaches: input.guard.consecutiveBreaches,
        alphaPerHour: input.guard.alphaPerHour,
        noDataRollbackAfterSeconds: Math.round(ms('guard.noDataRollbackAfter', input.guard.noDataRollbackAfter) / 1000),
      },
      streakFailures: input.guard.streakFailures,
      webhooks: input.guard.webhooks,
    },
    admin: { tokens: input.admin.tokens },
    api: { tokens: input.api.tokens, open: !input.redis.url && input.api.tokens.length === 0 },
    migrate: { ...input.migrate, leaseTimeoutMs: ms('migrate.leaseTimeout', input.migrate.leaseTimeout) },
    billing: { ...(input.billing.old && { old: input.billing.old }), ...(input.billing.new && { new: input.billing.new }) },
    metering: input.metering,
    sla: Object.fromEntries((['old', 'new'] as const).flatMap((side) => {
      const sla = input.sla[side];
      return sla ? [[side, { availability: sla.availability, latencyMs: ms(`sla.${side}.latency`, sla.latency), latencyPercent: sla.latencyPercent }]] : [];
    })),
    bridge: {
      secrets: { ...(input.bridge.old.secret && { old: input.bridge.old.secret }), ...(input.bridge.new.secret && { new: input.bridge.new.secret }) },
      replayWindowMs: ms('bridge.replayWindow', input.bridge.replayWindow),
    },
  };
  checkCoherence(config);
  return config;
}

/** Rules that span keys, which a schema cannot say. */
function checkCoherence(config: Config): void {
  if (config.redis.url) {
    try {
      parseRedisUrl(config.redis.url);
    } catch (err) {
      if (!(err instanceof RedisUrlError)) throw err;
      throw new ConfigError(`config key "redis.url" (CUTOVER_REDIS_URL): ${err.message}; got ${JSON.stringify(config.redis.url.replace(URL_USERINFO, '//$1:***@'))}`);
    }
  }
  const planProblem = checkPlan(config.plan);
  if (planProblem) throw new ConfigError(`config key "plan.steps": ${planProblem}`);
  if (config.http.shutdownTimeoutMs === 0) throw new ConfigError('config key "http.shutdownTimeout": must be more than 0, or every stop exits 1 before it can close');
  if (config.flags.unleashUrl && !config.flags.unleashToken) {
    throw new ConfigError('config key "flags.unleashToken": required when flags.unleashUrl is set (an Unleash backend token)');
  }
  const { inflightGraceMs, dedupeWindowMs, leaseTimeoutMs } = config.outbox;
  // Recovery must never race a primary write the request handler is still making.
  for (const side of ['old', 'new'] as const) {
    const write = longestWrite(config.sides[side], `sides.${side}`);
    const needed = 2 * write.ms;
    // A lease that runs out while its holder still writes hands the write to a second instance.
    if (leaseTimeoutMs < needed) {
      throw new ConfigError(
        `config key "outbox.leaseTimeout": must be at least ${needed} ms, twice the ${write.ms} ms one write to sides.${side} (${config.sides[side].type}) ` +
        `can take (${write.how}), so no instance takes over a write its holder is still making; got ${leaseTimeoutMs} ms. ` +
        `Set outbox.leaseTimeout (CUTOVER_OUTBOX_LEASE_TIMEOUT) to ${Math.ceil(needed / 1000)}s or more, or lower ${write.knobs}`,
      );
    }
    if (inflightGraceMs < needed) {
      throw new ConfigError(
        `config key "outbox.inflightGrace": must be at least ${needed} ms, twice the ${write.ms} ms one write to sides.${side} (${config.sides[side].type}) ` +
        `can take (${write.how}), so recovery never races a live request; got ${inflightGraceMs} ms. ` +
        `Set outbox.inflightGrace (CUTOVER_OUTBOX_INFLIGHT_GRACE) to ${Math.ceil(needed / 1000)}s or more, or lower ${write.knobs}`,
      );
    }
  }
  // A message whose gateway died is recovered from its dedupe record after the grace: the record must still be there.
  if (dedupeWindowMs < inflightGraceMs) {
    throw new ConfigError(
      `config key "outbox.dedupeWindow": must be at least outbox.inflightGrace (${inflightGraceMs} ms), or a message left unconfirmed by a gateway that died ` +
      `could be forgotten before recovery delivers it; got ${dedupeWindowMs} ms. Raise outbox.dedupeWindow or lower outbox.inflightGrace`,
    );
  }
  if (config.redis.url && config.api.tokens.length === 0 && !config.admin.tokens.some((t) => t.role === 'operator')) {
    throw new ConfigError(
      'config key "api.tokens": required when redis.url is set, so /v1 is never open to whoever reaches the port. ' +
      'Set CUTOVER_API_TOKENS=name:token,... (one per calling service, tokens of 16 or more characters) or api.tokens in the config file',
    );
  }
  // One holder per token: the name a token maps to is who the logs and the audit say acted.
  const holders = new Map<string, string>();
  for (const [key, tokens] of [['admin.tokens', config.admin.tokens], ['api.tokens', config.api.tokens]] as const) {
    for (const t of tokens) {
      const other = holders.get(t.token);
      if (other !== undefined) throw new ConfigError(`config key "${key}": the token of "${t.name}" is also the token of ${other}; every holder needs their own`);
      holders.set(t.token, `"${t.name}" (${key})`);
    }
  }
}

/** The longest a request handler can spend on one write to this side, how that adds up, and what bounds it. */
function longestWrite(side: SideConfig, key: string): { ms: number; how: string; knobs: string } {
  switch (side.type) {
    case 'memory':
      return { ms: side.latencyMs, how: `latencyMs ${side.latencyMs}`, knobs: `${key}.latencyMs` };
    case 'http-legacy': {
      const timeoutMs = sideTimeout(side.timeout, key);
      const ms = longestCallMs(timeoutMs, side.retries);
      const tries = side.retries + 1;
      return { ms, how: `timeout ${timeoutMs} ms × ${tries} tries + ${ms - timeoutMs * tries} ms of backoff between them`, knobs: `${key}.timeout or ${key}.retries` };
    }
    case 'agora-rtm': {
      const timeoutMs = sideTimeout(side.timeout, key);
      return { ms: timeoutMs + RESPONSE_GRACE_MS, how: `timeout ${timeoutMs} ms, one try, + ${RESPONSE_GRACE_MS} ms for the worker's answer`, knobs: `${key}.timeout` };
    }
  }
}

function sideTimeout(text: string, key: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new ConfigError(`config key "${key}.timeout": not a duration like 250ms or 2s; got ${JSON.stringify(text)}`);
  return value;
}

/** Fields whose values are secrets wherever they appear (webhook headers carry bearer tokens). */
const SECRET_FIELDS = new Set(['token', 'apiKey', 'adminToken', 'unleashToken', 'headers', 'secret']);
/** The userinfo of a URL (`redis://user:password@host`): everything after the user name is hidden. */
const URL_USERINFO = /\/\/([^/?#@:]*)(:[^/?#]*)?@/g;

/**
 * Whether the value at `path` may be a secret. Objects are looked into, so only their secret parts
 * are hidden; a plain value anywhere under admin or api (a token list written as a string, say)
 * is, but for a holder's name and role; and a webhook URL, which often is one (Slack's).
 */
function hidden(path: readonly string[], value: unknown): boolean {
  if (path.some((segment) => SECRET_FIELDS.has(segment))) return true;
  if (typeof value === 'object' && value !== null) return false;
  if (path[0] === 'admin' || path[0] === 'api') return !(path.length === 4 && (path[3] === 'name' || path[3] === 'role'));
  return path[0] === 'guard' && path[1] === 'webhooks' && path[3] === 'url';
}

/** A rejected value as a config error may show it: secrets never, the rest with any URL password hidden. */
function shown(path: readonly string[], value: unknown): string {
  if (hidden(path, value)) return typeof value === 'string' ? `a secret of ${value.length} characters (not shown)` : 'a secret (not shown)';
  return JSON.stringify(redacted(path, value));
}

function redacted(path: readonly string[], value: unknown): unknown {
  if (hidden(path, value)) return '[redacted]';
  if (typeof value === 'string') return value.replace(URL_USERINFO, (_all, user: string, password?: string) => (password === undefined ? '//[redacted]@' : `//${user}:[redacted]@`));
  if (Array.isArray(value)) return value.map((item, i) => redacted([...path, String(i)], item));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted([...path, k], v)]));
  return value;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); check CUTOVER_CONFIG or --config`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid JSON (${withoutSnippet((err as Error).message)})`);
  }
}

function parseEnv(name: string, text: string, parse: EnvParser): unknown {
  switch (parse) {
    case 'string':
      return text;
    case 'int': {
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${name}: must be a whole number; got ${JSON.stringify(text)}`);
      return Number(text);
    }
    case 'number': {
      if (text.trim() === '' || !Number.isFinite(Number(text))) throw new ConfigError(`${name}: must be a number; got ${JSON.stringify(text)}`);
      return Number(text);
    }
    case 'bool': {
      if (!/^(true|false|1|0)$/.test(text)) throw new ConfigError(`${name}: must be true or false; got ${JSON.stringify(text)}`);
      return text === 'true' || text === '1';
    }
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        // Not echoed: these values carry API keys and tokens.
        throw new ConfigError(`${name}: must be a JSON object such as {"type":"memory"}; got ${text.length} characters that are not valid JSON (${withoutSnippet((err as Error).message)})`);
      }
    case 'tokens':
      return text.split(',').filter(Boolean).map((item) => {
        const [holder, role, ...rest] = item.split(':');
        const token = rest.join(':');
        if (!holder || !role || !token) throw new ConfigError(`${name}: each entry must be name:role:token (role viewer or operator)`);
        return { name: holder, role, token };
      });
    case 'api-tokens':
      return text.split(',').filter(Boolean).map((item) => {
        const [holder, ...rest] = item.split(':');
        const token = rest.join(':');
        if (!holder || !token) throw new ConfigError(`${name}: each entry must be name:token (the calling service and its token)`);
        return { name: holder, token };
      });
  }
}

/** JSON.parse's message without the quoted piece of the text it sometimes adds (which may hold a secret). */
function withoutSnippet(message: string): string {
  return message.replace(/,\s.*is not valid JSON$/s, '');
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

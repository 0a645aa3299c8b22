import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, SIDE_SCHEMAS, type AdminTokenConfig, type ConfigInput, type SideConfig } from './config-schema.js';
import { DEFAULT_GUARD_RULES, type GuardRules } from '../domain/guard/guard-rules.js';
import { checkPlan, type Plan } from '../domain/plan.js';
import { parseDuration } from './duration.js';

/** A config value the process cannot start with; the message names the key and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type EnvParser = 'string' | 'int' | 'bool' | 'json' | 'tokens';

/** Environment overrides: each names one config key, so an error can name the variable. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string; parse: EnvParser }> = [
  { env: 'CUTOVER_MIGRATION', path: 'migration', parse: 'string' },
  { env: 'CUTOVER_HOST', path: 'http.host', parse: 'string' },
  { env: 'CUTOVER_PORT', path: 'http.port', parse: 'int' },
  { env: 'CUTOVER_LOG_LEVEL', path: 'http.logLevel', parse: 'string' },
  { env: 'CUTOVER_LOG_REQUESTS', path: 'http.logRequests', parse: 'bool' },
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
  { env: 'CUTOVER_GUARD_ENABLED', path: 'guard.enabled', parse: 'bool' },
  { env: 'CUTOVER_GUARD_MIN_SAMPLES', path: 'guard.minSamples', parse: 'int' },
  { env: 'CUTOVER_GUARD_WEBHOOKS', path: 'guard.webhooks', parse: 'json' },
  { env: 'CUTOVER_PLAN', path: 'plan', parse: 'json' },
];

/** The validated config with every duration in milliseconds. */
export interface Config {
  migration: string;
  http: ConfigInput['http'];
  redis: { url?: string; shards: number; commandTimeoutMs: number };
  sides: { old: SideConfig; new: SideConfig };
  flags: {
    flagName: string;
    bootstrapFile: string;
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
    throw new ConfigError(`config key "${key}"${via}: ${message}; got ${JSON.stringify(value)}`);
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
    http: input.http,
    redis: { url: input.redis.url, shards: input.redis.shards, commandTimeoutMs: ms('redis.commandTimeout', input.redis.commandTimeout) },
    sides: input.sides,
    flags: {
      flagName: input.flags.flagName ?? `cutover-${input.migration}`,
      bootstrapFile: input.flags.bootstrapFile,
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
        tau: input.guard.tau,
        noDataRollbackAfterSeconds: Math.round(ms('guard.noDataRollbackAfter', input.guard.noDataRollbackAfter) / 1000),
      },
      streakFailures: input.guard.streakFailures,
      webhooks: input.guard.webhooks,
    },
    admin: { tokens: input.admin.tokens },
  };
  checkCoherence(config);
  return config;
}

/** Rules that span keys, which a schema cannot say. */
function checkCoherence(config: Config): void {
  const planProblem = checkPlan(config.plan);
  if (planProblem) throw new ConfigError(`config key "plan.steps": ${planProblem}`);
  if (config.flags.unleashUrl && !config.flags.unleashToken) {
    throw new ConfigError('config key "flags.unleashToken": required when flags.unleashUrl is set (an Unleash backend token)');
  }
  // Recovery must never race a primary write the request handler is still making.
  for (const side of ['old', 'new'] as const) {
    const s = config.sides[side];
    if (s.type === 'http-legacy') {
      const worst = (parseDuration(s.timeout) ?? 0) * (s.retries + 1) * 2;
      if (config.outbox.inflightGraceMs < worst) {
        throw new ConfigError(`config key "outbox.inflightGrace": must be at least ${worst} ms, twice sides.${side}'s timeout × tries, so recovery never races a live request`);
      }
    }
  }
  const names = new Set<string>();
  for (const t of config.admin.tokens) {
    if (names.has(t.token)) throw new ConfigError(`config key "admin.tokens": token of "${t.name}" is used twice; every holder needs their own`);
    names.add(t.token);
  }
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
    throw new ConfigError(`config file ${file}: not valid JSON (${(err as Error).message})`);
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
    case 'bool': {
      if (!/^(true|false|1|0)$/.test(text)) throw new ConfigError(`${name}: must be true or false; got ${JSON.stringify(text)}`);
      return text === 'true' || text === '1';
    }
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ConfigError(`${name}: must be a JSON object such as {"type":"memory"}; got ${JSON.stringify(text)}`);
      }
    case 'tokens':
      return text.split(',').filter(Boolean).map((item) => {
        const [holder, role, ...rest] = item.split(':');
        const token = rest.join(':');
        if (!holder || !role || !token) throw new ConfigError(`${name}: each entry must be name:role:token (role viewer or operator)`);
        return { name: holder, role, token };
      });
  }
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

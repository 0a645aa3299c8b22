import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.js';

const Duration = (defaultValue: string, description: string) =>
  Type.String({ pattern: DURATION_PATTERN, default: defaultValue, description });

const MemorySide = Type.Object(
  {
    type: Type.Literal('memory'),
    latencyMs: Type.Integer({ minimum: 0, default: 0 }),
    errorRate: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
    maxMessages: Type.Integer({ minimum: 1, default: 1_000_000, description: 'Messages kept, the oldest forgotten first (memory stays bounded)' }),
  },
  { additionalProperties: false },
);

const HttpLegacySide = Type.Object(
  {
    type: Type.Literal('http-legacy'),
    baseUrl: Type.String({ pattern: '^https?://[^\\s]+$', description: 'Base URL of the legacy IM REST server' }),
    apiKey: Type.Optional(Type.String({ minLength: 1, description: 'Bearer key (secret)' })),
    timeout: Duration('2s', 'Per-request timeout'),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 2 }),
    connections: Type.Integer({ minimum: 1, maximum: 1024, default: 64 }),
  },
  { additionalProperties: false },
);

const AgoraRtmSide = Type.Object(
  {
    type: Type.Literal('agora-rtm'),
    appId: Type.String({ minLength: 1 }),
    userId: Type.String({ minLength: 1, description: 'The RTM user the gateway logs in as' }),
    token: Type.String({ minLength: 1, description: 'RTM token (secret)' }),
    timeout: Duration('3s', 'Per-call timeout'),
    relayChannels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 50, uniqueItems: true,
      description: 'Group channels whose client-published messages the bridge carries to the other side; an RTM client subscribes to about 50 at most (docs/bridge.md)',
    })),
  },
  { additionalProperties: false },
);

/** Side schemas by their `type`, so a side is checked against its own schema (precise errors). */
export const SIDE_SCHEMAS = { memory: MemorySide, 'http-legacy': HttpLegacySide, 'agora-rtm': AgoraRtmSide } as const;

export const SideConfigSchema = Type.Union([MemorySide, HttpLegacySide, AgoraRtmSide]);

/** What a side charges (docs/cost.md); the public RTM figures are an example in config/cutover.example.json. */
const PriceTable = Type.Object(
  {
    unit: Type.Union([Type.Literal('message'), Type.Literal('rtm-1kb')], { description: 'message: one unit per message sent; rtm-1kb: 1 KB units, the send and each receive apart (Agora RTM)' }),
    currency: Type.String({ minLength: 3, maxLength: 3, default: 'USD' }),
    packageFee: Type.Number({ minimum: 0, default: 0, description: 'Monthly fee of the package' }),
    includedUnits: Type.Integer({ minimum: 0, default: 0, description: 'Units the package includes each month' }),
    overagePerUnit: Type.Number({ minimum: 0, default: 0, description: 'Price of each unit past the included ones' }),
    includedConcurrentUsers: Type.Optional(Type.Integer({ minimum: 0, description: 'Peak concurrent users the package includes each month (Agora RTM bills its PCU)' })),
    overagePerConcurrentUser: Type.Optional(Type.Number({ minimum: 0, description: "Price of each concurrent user of the month's peak past the included ones; absent: concurrent users are not billed" })),
    budget: Type.Optional(Type.Number({ minimum: 0, description: 'Alert when the projected month-end bill passes this' })),
    channelReceivers: Type.Integer({ minimum: 0, default: 1, description: 'Receivers a channel message is assumed to reach (rtm-1kb counts each receive): Cutover does not see who is subscribed' }),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'Where the figures come from (a contract, or that they are an example)' })),
  },
  { additionalProperties: false },
);

/** A side's service level (docs/cost.md, "SLA and error budget"). */
const SlaObjectiveSchema = Type.Object(
  {
    availability: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Percent of sends that must succeed in a month (timeouts, unavailability and 5xx fail; a 4xx is the caller\'s)' }),
    latency: Duration('1s', 'A successful send slower than this counts against the latency objective'),
    latencyPercent: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 99, description: 'Percent of successful sends that must be within `latency`' }),
  },
  { additionalProperties: false },
);

/** The intake of one side's after-send webhook (docs/bridge.md): off without a secret. */
const BridgeSide = (side: 'old' | 'new') => Type.Object(
  {
    secret: Type.Optional(Type.String({ minLength: 16, description: `HMAC-SHA256 key the ${side} side signs its webhooks with (secret), at least 16 characters` })),
  },
  { additionalProperties: false, default: {} },
);

const AdminToken = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Who holds it; recorded as the actor in the audit log' }),
    role: Type.Union([Type.Literal('viewer'), Type.Literal('operator')]),
    token: Type.String({ minLength: 16, description: 'Bearer token (secret), at least 16 characters' }),
  },
  { additionalProperties: false },
);

const ApiToken = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'The calling service that holds it' }),
    token: Type.String({ minLength: 16, description: 'Bearer token (secret), at least 16 characters' }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    migration: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', default: 'default', description: 'Name of this migration; keys and flags derive from it' }),
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 65_536 }),
        logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
        /** One info line per request costs ~2 µs and a syscall; off by default on the hot path. */
        logRequests: Type.Boolean({ default: false }),
        drainPeriod: Duration('5s', 'After SIGTERM: /readyz answers 503 while every route keeps serving this long, so load balancers stop sending first'),
        shutdownTimeout: Duration('15s', 'After the drain period: the longest the close may take before the process exits 1'),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.Optional(Type.String({
          pattern: '^rediss?(\\+sentinel|\\+cluster)?://',
          description: 'redis://host:6379 (one server), redis+sentinel://host:26379,host:26379/master (Sentinel), redis+cluster://host:7000,host:7001 (Cluster); rediss for TLS; unset = in-memory (one instance, not durable)',
        })),
        shards: Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: 'Outbox streams per side (spread over a Cluster)' }),
        commandTimeout: Duration('1s', 'A Redis command slower than this fails the request with 503'),
      },
      { additionalProperties: false, default: {} },
    ),
    sides: Type.Object(
      { old: SideConfigSchema, new: SideConfigSchema },
      { additionalProperties: false, default: { old: { type: 'memory' }, new: { type: 'memory' } } },
    ),
    flags: Type.Object(
      {
        flagName: Type.Optional(Type.String({ minLength: 1, description: 'Unleash flag deciding eligibility; default cutover-<migration>' })),
        bootstrapFile: Type.Optional(Type.String({
          minLength: 1,
          description: 'Unleash client-features JSON: the flags offline (default config/flags.json); with an Unleash server, used before the first fetch only when set',
        })),
        unleashUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
        unleashToken: Type.Optional(Type.String({ minLength: 1, description: 'Unleash backend token (secret)' })),
        refreshInterval: Duration('1s', 'How often flags are fetched from Unleash'),
        fallbackEligible: Type.Boolean({ default: false, description: 'Eligibility when the flag cannot be evaluated' }),
        mirror: Type.Optional(Type.Object(
          {
            adminUrl: Type.String({ pattern: '^https?://', description: "Unleash's root URL for its Admin API" }),
            adminToken: Type.String({ minLength: 1, description: 'Unleash admin token (secret)' }),
            flagName: Type.Optional(Type.String({ minLength: 1, description: 'Flag client apps read their cohort from; default cutover-<migration>-cohort' })),
            project: Type.String({ default: 'default' }),
            environment: Type.String({ default: 'development' }),
          },
          { additionalProperties: false, description: "Mirror Cutover's percent into an Unleash flag so client apps asking Unleash see the same cohort" },
        )),
      },
      { additionalProperties: false, default: {} },
    ),
    outbox: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 15, description: 'Tries before a write is dead-lettered' }),
        backoffBase: Duration('250ms', 'First retry delay; doubles each try, with jitter'),
        backoffMax: Duration('1m', 'Longest retry delay'),
        inflightGrace: Duration('15s', 'An unconfirmed primary write older than this is recovered by the outbox (gateway died mid-request)'),
        dedupeWindow: Duration('24h', 'How long a message id is remembered for idempotency'),
        leaseTimeout: Duration('30s', 'A write leased by an instance that stopped answering is taken over after this'),
        batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
        concurrency: Type.Integer({ minimum: 1, maximum: 1000, default: 64, description: 'Secondary writes in flight per side' }),
        deadLetterMaxLen: Type.Integer({ minimum: 100, default: 1_000_000 }),
        memoryMaxIds: Type.Integer({
          minimum: 1_000, default: 1_000_000,
          description: 'Embedded (no Redis) only: message ids remembered for idempotency at most; past it the oldest are forgotten before the dedupe window ends',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    state: Type.Object(
      {
        pollInterval: Duration('1s', 'Re-read of the state record, besides pub/sub'),
        auditMaxLen: Type.Integer({ minimum: 100, default: 100_000, description: 'Audit entries kept in the Redis stream (approximate cap)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    messages: Type.Object(
      {
        maxPayloadBytes: Type.Integer({ minimum: 1, maximum: 1_048_576, default: 32_768 }),
      },
      { additionalProperties: false, default: {} },
    ),
    plan: Type.Object(
      {
        steps: Type.Array(
          Type.Object({ percent: Type.Number({ exclusiveMinimum: 0, maximum: 100 }), bake: Duration('30m', 'How long the step runs healthy before the next') }, { additionalProperties: false }),
          {
            minItems: 1,
            default: [
              { percent: 1, bake: '30m' }, { percent: 5, bake: '1h' }, { percent: 10, bake: '2h' },
              { percent: 25, bake: '4h' }, { percent: 50, bake: '12h' }, { percent: 100, bake: '1d' },
            ],
          },
        ),
        autoPromote: Type.Boolean({ default: false, description: 'Step forward by itself after a healthy bake' }),
      },
      { additionalProperties: false, default: {} },
    ),
    guard: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Judge the new side and roll back on a breach' }),
        judgeWindow: Duration('60s', 'Window of the error-rate limits'),
        minSamples: Type.Integer({ minimum: 1, default: 200, description: 'New-side sends in the judge window before judging (else hold)' }),
        maxErrorRate: Type.Number({ minimum: 0, maximum: 1, default: 0.2, description: 'Absolute limit on the new error rate' }),
        maxErrorRateIncrease: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'Limit on new minus old error rate' }),
        maxP99: Duration('3s', 'Absolute limit on the new p99'),
        maxP99Increase: Duration('250ms', "How much slower than old's p99 new's p99 may be (the latency test)"),
        latencyWindow: Duration('15s', 'Window of the latency limits'),
        latencyMinSamples: Type.Integer({ minimum: 1, default: 300 }),
        consecutiveBreaches: Type.Integer({ minimum: 1, maximum: 60, default: 3, description: 'Seconds in a row a limit must be breached' }),
        alphaPerHour: Type.Number({ exclusiveMinimum: 0, maximum: 0.5, default: 0.001, description: 'False-rollback budget per hour of healthy watching, the error and latency tests together' }),
        streakFailures: Type.Integer({ minimum: 2, default: 20, description: 'Consecutive new-side failures on one instance that roll back at once' }),
        noDataRollbackAfter: Duration('0s', 'Roll back after holding for lack of data this long; 0s = hold forever'),
        webhooks: Type.Array(
          Type.Object({ url: Type.String({ pattern: '^https?://' }), headers: Type.Optional(Type.Record(Type.String(), Type.String())) }, { additionalProperties: false }),
          { default: [], description: 'JSON (Slack-compatible) POSTs on rollback and promotion' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    migrate: Type.Object(
      {
        requireVerified: Type.Boolean({ default: false, description: 'A user enters the new cohort only once `cutover migrate verify` found all their data on new' }),
        pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 500, description: 'Items read from the old side per call' }),
        concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'Users, groups or conversations one instance moves at once' }),
        leaseTimeout: Duration('30s', 'A unit of work held by an instance that stopped answering is taken over after this'),
        oldReadsPerSecond: Type.Number({ minimum: 0, default: 0, description: 'Fleet-wide limit on migration reads of the old side; 0 = none' }),
        newWritesPerSecond: Type.Number({ minimum: 0, default: 0, description: "Fleet-wide limit on migration writes to the new side; 0 = the side's own known limit only" }),
        consistency: Type.Object(
          {
            sampleRate: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Share of history reads also read from the compared side, off the request path, and compared by id' }),
            mode: Type.Union([Type.Literal('other-side'), Type.Literal('same-side')], {
              default: 'other-side',
              description: 'other-side compares the side that served the read with the other one; same-side reads the serving side twice (A/A), which measures the noise',
            }),
            maxInFlight: Type.Integer({ minimum: 1, maximum: 1000, default: 16, description: 'Comparisons running at once; a read past it is not sampled' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    billing: Type.Object(
      { old: Type.Optional(PriceTable), new: Type.Optional(PriceTable) },
      { additionalProperties: false, default: {} },
    ),
    sla: Type.Object(
      { old: Type.Optional(SlaObjectiveSchema), new: Type.Optional(SlaObjectiveSchema) },
      { additionalProperties: false, default: {} },
    ),
    metering: Type.Object(
      { enabled: Type.Boolean({ default: true, description: 'Count each side\'s usage and SLA from the sends (docs/cost.md); off: cutover cost and sla report nothing' }) },
      { additionalProperties: false, default: {} },
    ),
    bridge: Type.Object(
      {
        old: BridgeSide('old'),
        new: BridgeSide('new'),
        replayWindow: Duration('5m', 'A signed event older (or further ahead) than this is refused; a signature seen within it is a replay'),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        tokens: Type.Array(AdminToken, { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        tokens: Type.Array(ApiToken, { default: [], description: 'Bearer tokens of the services that call /v1; with Redis, required unless operator admin tokens are the only callers' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type ConfigInput = Static<typeof ConfigSchema>;
export type SideConfig = Static<typeof SideConfigSchema>;
export type AdminTokenConfig = Static<typeof AdminToken>;
export type ApiTokenConfig = Static<typeof ApiToken>;

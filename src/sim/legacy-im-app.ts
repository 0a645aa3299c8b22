import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { Type, type FastifyPluginAsyncTypebox, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OutboundMessage } from '../domain/message.js';
import { Dataset } from './dataset/dataset.js';
import { contentDigest, describeDataset } from './dataset/dataset-digest.js';
import { DATASET_SPEC_KEYS, DatasetSpecError, type DatasetSpec } from './dataset/dataset-spec.js';
import { clientRoutes } from './legacy-im-client-routes.js';
import { exportRoutes } from './legacy-im-export-routes.js';
import { importRoutes } from './legacy-im-import-routes.js';
import { ImportedRecords } from './legacy-im-imports.js';
import { LegacyImReadModel } from './legacy-im-read-model.js';
import { errorBody, ErrorReply, Id, Kind, Payload, PeerSchema, SentAt } from './legacy-im-schemas.js';
import { LegacyImStore } from './legacy-im-store.js';
import { AfterSendWebhook, type WebhookPatch, type WebhookSettings, type WebhookStats } from './legacy-im-webhook.js';

/** Faults the simulated server can be told to have at run time. */
export interface SimFaults {
  /** Added before every contract call is answered (not /_sim), in milliseconds. */
  latencyMs: number;
  /** Share of message PUTs answered with `status`, 0..1. */
  errorRate: number;
  /** When true every contract call, /health included, answers 503. */
  down: boolean;
  /** The status of an injected PUT failure. */
  status: number;
  /** Store the message and then answer the failure: the ambiguous case that forces a client retry. */
  failAfterStore: boolean;
  /**
   * Added after a message PUT was handled (stored, or found already there) and before its answer
   * leaves, in milliseconds: a client that gives up sooner sees a timeout for a message the server
   * holds. `latencyMs` instead waits before anything is handled.
   */
  replyDelayMs: number;
  /** Share of contract reads (every GET but /health) answered with `readStatus`, 0..1. */
  readErrorRate: number;
  /** The status of an injected read failure. */
  readStatus: number;
}

/** Contract reads (every GET but /health) and how many of them got an injected failure. */
export interface SimReadStats {
  reads: number;
  readFailuresInjected: number;
}

export interface SimStats {
  stored: number;
  /** Message PUTs and client sends of an id already held. */
  duplicatesSuppressed: number;
  /** Every message PUT that reached the server, whatever it answered. */
  puts: number;
  failuresInjected: number;
  /** Messages an import stored (it did not hold them before). */
  imported: number;
  /** Import items it already held by id. */
  importDuplicates: number;
  /** Client sends (POST /v1/client/messages) that stored a new message. */
  clientSends: number;
}

export interface LegacyImServerOptions {
  /** When set, contract calls need `Authorization: Bearer <apiKey>`; /_sim never does. */
  apiKey?: string;
  /**
   * Append-only JSON-lines file: reloaded at start, appended on every new message. Imported users
   * and groups are journalled beside it, in `<dataFile>.imports.jsonl`.
   */
  dataFile?: string;
  /** Reported by /health, to tell two sims apart. */
  name?: string;
  logger?: FastifyServerOptions['logger'];
  /** Source of randomness for `errorRate`, `readErrorRate` and the webhook's `failRate` and jitter (tests pass a fixed one). */
  random?: () => number;
  /** The generated past the read routes serve (docs/legacy-rest-contract.md, "Export"); default: none. */
  dataset?: Partial<DatasetSpec>;
  /** The after-send webhook of client sends; a bad value throws, naming the field. Default: no url, nothing sent. */
  webhook?: WebhookPatch;
}

export type LegacyImServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const NO_FAULTS: SimFaults = { latencyMs: 0, errorRate: 0, down: false, status: 503, failAfterStore: false, replyDelayMs: 0, readErrorRate: 0, readStatus: 503 };
const MAX_LIMIT = 1000;
const MAX_ID_IN_PATH = 256 * 9;
const MESSAGE_PUT = '/v1/messages/:id';

const MessageSchema = Type.Object({ id: Id, from: Id, to: PeerSchema, payload: Payload, kind: Type.Optional(Kind), sentAt: SentAt });
const PutBody = Type.Object(
  {
    /** Optional echo of the path id, so a client can send its message object as is. */
    id: Type.Optional(Id),
    from: Id,
    to: PeerSchema,
    payload: Payload,
    kind: Type.Optional(Kind),
    sentAt: SentAt,
  },
  { additionalProperties: false },
);
const PutReply = Type.Object({ id: Type.String(), created: Type.Boolean() });
const HistoryQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 50 }),
  before: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A cursor from the previous page's `next`, or `start`: pages oldest first. */
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
});
const HistoryReply = Type.Object({
  messages: Type.Array(MessageSchema),
  /** Only with `after`: the cursor of the next page, null at the end. */
  next: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'] })),
});
const FaultsSchema = Type.Object({
  latencyMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  errorRate: Type.Number({ minimum: 0, maximum: 1 }),
  down: Type.Boolean(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  failAfterStore: Type.Boolean(),
  replyDelayMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  readErrorRate: Type.Number({ minimum: 0, maximum: 1 }),
  readStatus: Type.Integer({ minimum: 400, maximum: 599 }),
});
const FaultsPatch = Type.Partial(FaultsSchema, { additionalProperties: false });
const StatsSchema = Type.Object({
  stored: Type.Integer(),
  duplicatesSuppressed: Type.Integer(),
  puts: Type.Integer(),
  failuresInjected: Type.Integer(),
  imported: Type.Integer(),
  importDuplicates: Type.Integer(),
  clientSends: Type.Integer(),
});

/** Range checks are the Dataset's, so that an error names the field and its bounds. */
const DatasetBody = Type.Partial(
  Type.Object({
    seed: Type.Integer(),
    users: Type.Integer(),
    messages: Type.Integer(),
    groups: Type.Integer(),
    peersPerUser: Type.Integer(),
    maxGroupSize: Type.Integer(),
  }),
);

/** Mutable run-time state shared by the contract routes and the control API. */
interface SimState {
  faults: SimFaults;
  duplicatesSuppressed: number;
  puts: number;
  failuresInjected: number;
  reads: number;
  readFailuresInjected: number;
  imported: number;
  importDuplicates: number;
  clientSends: number;
}

/**
 * A typical incumbent REST IM server (docs/legacy-rest-contract.md) with a sim-only control API under
 * /_sim for fault injection and loss checks. Used by the CLI entry and in-process by tests.
 */
export function buildLegacyImServer(options: LegacyImServerOptions = {}): LegacyImServer {
  const random = options.random ?? Math.random;
  // Checked before any file is opened: a bad setting fails the start with nothing to close.
  const webhook = new AfterSendWebhook(options.webhook, random);
  const { store, load } = LegacyImStore.open(options.dataFile);
  // Ids are up to 256 characters, percent-encoded up to 9 characters each: fastify's default (100) would answer 414.
  const app: LegacyImServer = Fastify({ logger: options.logger ?? false, maxParamLength: MAX_ID_IN_PATH }).withTypeProvider<TypeBoxTypeProvider>();
  if (load.skipped > 0) app.log.warn({ dataFile: options.dataFile, ...load }, 'skipped unreadable lines in the data file');
  const journalFile = options.dataFile === undefined ? undefined : `${options.dataFile}.imports.jsonl`;
  const { imports, load: importsLoad } = ImportedRecords.open(journalFile);
  if (importsLoad.skipped > 0) app.log.warn({ journalFile, ...importsLoad }, 'skipped unreadable lines in the imports journal');

  const state: SimState = {
    faults: { ...NO_FAULTS }, duplicatesSuppressed: 0, puts: 0, failuresInjected: 0, reads: 0, readFailuresInjected: 0, imported: 0, importDuplicates: 0, clientSends: 0,
  };
  const initialDataset = new Dataset(options.dataset);
  const deps: RouteDeps = {
    store,
    imports,
    state,
    model: new LegacyImReadModel(store, initialDataset, imports),
    initialDataset,
    name: options.name ?? 'legacy-im',
    random,
    webhook,
    authorization: options.apiKey === undefined ? undefined : Buffer.from(`Bearer ${options.apiKey}`),
  };

  app.addHook('onClose', async () => {
    await webhook.close();
    store.close();
    imports.close();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url}`)),
  );
  void app.register(contractRoutes, deps);
  void app.register(simRoutes, { ...deps, prefix: '/_sim' });
  return app;
}

interface RouteDeps {
  store: LegacyImStore;
  imports: ImportedRecords;
  state: SimState;
  /** The generated past merged with the live store: what every read answers from. */
  model: LegacyImReadModel;
  /** What POST /_sim/reset goes back to. */
  initialDataset: Dataset;
  name: string;
  random: () => number;
  /** Delivers the events of client sends; never told of PUTs or imports. */
  webhook: AfterSendWebhook;
  /** The whole expected Authorization header, or undefined when no key is required. */
  authorization: Buffer | undefined;
}

const contractRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, imports, state, model, name, random, webhook, authorization }) => {
  // Hooks registered here are encapsulated: they guard the contract routes and never /_sim.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === MESSAGE_PUT && request.method === 'PUT') state.puts++;
    const { latencyMs, down } = state.faults;
    if (latencyMs > 0) await sleep(latencyMs);
    if (down) {
      state.failuresInjected++;
      return reply.code(503).send(errorBody('unavailable', 'server is down (fault injected)'));
    }
    if (authorization !== undefined && !authorized(request.headers.authorization, authorization)) {
      return reply.code(401).send(errorBody('unauthorized', 'missing or wrong bearer token'));
    }
    if (request.method === 'GET' && request.routeOptions.url !== '/health') {
      state.reads++;
      const { readErrorRate, readStatus } = state.faults;
      if (readErrorRate > 0 && random() < readErrorRate) {
        state.readFailuresInjected++;
        return reply.code(readStatus).send(errorBody('injected', `injected read failure (HTTP ${readStatus})`));
      }
    }
    return undefined;
  });

  app.get('/health', { schema: { response: { 200: Type.Object({ ok: Type.Boolean(), name: Type.String() }) } } }, async () => ({
    ok: true,
    name,
  }));

  app.put(
    MESSAGE_PUT,
    { schema: { params: Type.Object({ id: Id }), body: PutBody, response: { 200: PutReply, 201: PutReply, '4xx': ErrorReply, '5xx': ErrorReply } } },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      if (body.id !== undefined && body.id !== id) {
        return reply.code(422).send(errorBody('id_mismatch', `body id ${body.id} differs from path id ${id}`));
      }
      const { errorRate, failAfterStore, status, replyDelayMs } = state.faults;
      const inject = errorRate > 0 && random() < errorRate;
      if (inject && !failAfterStore) return injectedFailure(reply, state, status);

      const message: OutboundMessage = { id, from: body.from, to: { type: body.to.type, id: body.to.id }, payload: body.payload, sentAt: body.sentAt };
      if (body.kind !== undefined) message.kind = body.kind;
      // An id of the generated past is already held: the first copy wins, as for any stored id.
      const created = !model.isGenerated(id) && store.add(message);
      if (!created) state.duplicatesSuppressed++;
      if (replyDelayMs > 0) await sleep(replyDelayMs);

      if (inject) return injectedFailure(reply, state, status);
      return reply.code(created ? 201 : 200).send({ id, created });
    },
  );

  app.get(
    '/v1/conversations/user/:a/:b/messages',
    { schema: { params: Type.Object({ a: Id, b: Id }), querystring: HistoryQuery, response: { 200: HistoryReply } } },
    async (request) => model.history({ type: 'user', a: request.params.a, b: request.params.b }, request.query),
  );

  app.get(
    '/v1/conversations/channel/:id/messages',
    { schema: { params: Type.Object({ id: Id }), querystring: HistoryQuery, response: { 200: HistoryReply } } },
    async (request) => model.history({ type: 'channel', id: request.params.id }, request.query),
  );

  await app.register(exportRoutes, { model });
  await app.register(importRoutes, { store, model, imports, state, random });
  await app.register(clientRoutes, { store, model, state, afterSend: webhook });
};

const simRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, imports, state, model, initialDataset, webhook }) => {
  app.get('/faults', { schema: { response: { 200: FaultsSchema } } }, async () => state.faults);

  app.post(
    '/faults',
    {
      schema: { body: FaultsPatch, response: { 200: FaultsSchema, 400: ErrorReply } },
      // The validator strips unknown keys; a typo in a fault name must fail loudly instead.
      preValidation: async (request, reply) => {
        const body: unknown = request.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
        const unknown = Object.keys(body).filter((key) => !(key in NO_FAULTS));
        if (unknown.length > 0) return reply.code(400).send(errorBody('bad_request', `unknown fault: ${unknown.join(', ')}`));
        return undefined;
      },
    },
    async (request) => {
      state.faults = { ...state.faults, ...request.body };
      return state.faults;
    },
  );

  app.get('/stats', { schema: { response: { 200: StatsSchema } } }, async (): Promise<SimStats> => ({
    stored: store.size,
    duplicatesSuppressed: state.duplicatesSuppressed,
    puts: state.puts,
    failuresInjected: state.failuresInjected,
    imported: state.imported,
    importDuplicates: state.importDuplicates,
    clientSends: state.clientSends,
  }));

  app.get('/webhook', async (): Promise<WebhookSettings> => webhook.settings());

  // Checked by the webhook itself, so a flag, a build option and this route answer the same message.
  app.post('/webhook', async (request): Promise<WebhookSettings> => webhook.configure(request.body ?? {}));

  app.get('/webhook/stats', async (): Promise<WebhookStats> => webhook.stats());

  app.get('/messages', { schema: { response: { 200: Type.Object({ ids: Type.Array(Type.String()) }) } } }, async () => ({
    ids: store.ids(),
  }));

  // Plants a difference for a verification to find; the generated past is a function of the seed and stays whole.
  app.delete('/messages/:id', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    const { id } = request.params;
    if (model.isGenerated(id)) return reply.code(409).send(errorBody('generated', `message ${id} is of the generated past, which cannot be changed`));
    if (!store.remove(id)) return reply.code(404).send(errorBody('not_found', `no stored message ${id}`));
    return { id, deleted: true };
  });

  // Payloads too: a caller that retried without its id shows up as one payload under two ids.
  app.get('/payloads', { schema: { response: { 200: Type.Object({ messages: Type.Array(Type.Object({ id: Type.String(), payload: Type.String() })) }) } } }, async () => ({
    messages: store.payloads(),
  }));

  app.get('/reads', async (): Promise<SimReadStats> => ({ reads: state.reads, readFailuresInjected: state.readFailuresInjected }));

  app.get('/dataset', async () => describeDataset(model.dataset));

  app.post(
    '/dataset',
    {
      schema: { body: DatasetBody },
      preValidation: async (request, reply) => {
        const body: unknown = request.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
        const unknown = Object.keys(body).filter((key) => !(DATASET_SPEC_KEYS as readonly string[]).includes(key));
        if (unknown.length > 0) return reply.code(400).send(errorBody('bad_request', `unknown dataset field: ${unknown.join(', ')}`));
        return undefined;
      },
    },
    async (request) => {
      model.use(new Dataset(request.body));
      return describeDataset(model.dataset);
    },
  );

  // Walks every generated item: flat memory, but linear in the size (seconds per million messages).
  app.get('/dataset/content-digest', async () => contentDigest(model.dataset));

  app.post('/reset', async () => {
    store.clear();
    imports.clear();
    model.use(initialDataset);
    state.faults = { ...NO_FAULTS };
    state.duplicatesSuppressed = 0;
    state.puts = 0;
    state.failuresInjected = 0;
    state.reads = 0;
    state.readFailuresInjected = 0;
    state.imported = 0;
    state.importDuplicates = 0;
    state.clientSends = 0;
    webhook.reset();
    return { ok: true };
  });
};

function injectedFailure(reply: FastifyReply, state: SimState, status: number): FastifyReply {
  state.failuresInjected++;
  return reply.code(status).send(errorBody('injected', `injected failure (HTTP ${status})`));
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DatasetSpecError) return reply.code(400).send(errorBody(error.code, error.message));
  if (error.validation) return reply.code(400).send(errorBody('bad_request', error.message));
  const status = error.statusCode ?? 500;
  if (status < 500) return reply.code(status).send(errorBody(error.code ?? 'bad_request', error.message));
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody('internal', 'internal error'));
}

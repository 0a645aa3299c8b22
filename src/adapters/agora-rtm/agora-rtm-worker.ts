/**
 * Worker-thread entry of the agora-rtm adapter. agora-rtm-sdk is browser code: it needs DOM
 * globals (happy-dom here) and prints to the console, so it lives in this thread and the main
 * thread keeps neither. Answers the requests of `worker-protocol.ts`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { IAgoraRTM } from 'agora-rtm-sdk';
import { toAdapterError } from '../adapter-error.js';
import { captureConsole, rateLimited } from './log-capture.js';
import type { RtmClientModule, RtmClientPort } from './rtm-client-port.js';
import { RtmChannelRelay } from './rtm-channel-relay.js';
import { RtmMessaging } from './rtm-messaging.js';
import { RtmMigration } from './rtm-migration.js';
import { StaticTokenProvider } from './token-provider.js';
import type {
  AgoraRtmWorkerData,
  LogLevel,
  WorkerOps,
  WorkerOp,
  WorkerRequest,
  WorkerToMain,
} from './worker-protocol.js';

const SDK_LOG_LINES_PER_WINDOW = 50;
const SDK_LOG_WINDOW_MS = 10_000;

if (parentPort === null) throw new Error('agora-rtm-worker must run in a worker thread');
const port = parentPort;
const data = workerData as AgoraRtmWorkerData;

function post(message: WorkerToMain): void {
  port.postMessage(message);
}

/** Real tokens run to 100+ characters; scrubbing a short one would mangle every line. */
const MIN_SCRUBBED_TOKEN = 16;

/** The token must not reach the logs, even if the SDK prints its login parameters. */
function scrub(text: string): string {
  const { token } = data;
  if (token.length < MIN_SCRUBBED_TOKEN || !text.includes(token)) return text;
  return text.split(token).join('[token]');
}

const sdkLog = rateLimited(
  (level, text) => post({ type: 'log', source: 'sdk', level, text: scrub(text) }),
  SDK_LOG_LINES_PER_WINDOW,
  SDK_LOG_WINDOW_MS,
);
captureConsole(sdkLog);
// A browser only logs a stray rejection; the SDK is written for one, so this thread does too.
process.on('unhandledRejection', (reason) => {
  sdkLog('warn', `unhandled rejection in agora-rtm worker: ${String(reason)}`);
});

function adapterLog(level: LogLevel, text: string): void {
  post({ type: 'log', source: 'adapter', level, text: scrub(text) });
}

async function createClient(): Promise<RtmClientPort> {
  if (data.clientModule !== undefined) {
    const url = pathToFileURL(data.clientModule).href;
    const module = (await import(url)) as Partial<RtmClientModule>;
    if (typeof module.createRtmClient !== 'function') {
      throw new Error(`${data.clientModule} does not export createRtmClient`);
    }
    return module.createRtmClient(data.appId, data.userId);
  }
  const { GlobalRegistrator } = await import('@happy-dom/global-registrator');
  GlobalRegistrator.register({ url: 'http://localhost/' });
  const sdk = createRequire(import.meta.url)('agora-rtm-sdk') as IAgoraRTM;
  return new sdk.RTM(data.appId, data.userId, { logLevel: 'none', logUpload: false });
}

const client = await createClient();
const messaging = new RtmMessaging(client, new StaticTokenProvider(data.token), {
  timeoutMs: data.timeoutMs,
  log: adapterLog,
});
// One client per process: the migration shares the live login (and its limits, see rtm-migration.ts).
const migrationOptions = data.migrationCallsPerSecond === undefined ? {} : { callsPerSecond: data.migrationCallsPerSecond };
const migration = new RtmMigration(client, messaging.session, migrationOptions);
const relay = new RtmChannelRelay(client, messaging.session, {
  ownUserId: data.userId, channels: data.relayChannels ?? [], log: adapterLog,
  onMessage: (message) => post({ type: 'relayed', message }),
});
// Subscribed now, not at a first call: the relay listens whether or not anything is sent.
const relaying = (data.relayChannels ?? []).length > 0 ? relay.subscribeAll() : undefined;

function dispatch(request: WorkerRequest): Promise<WorkerOps[WorkerOp]['result']> {
  switch (request.op) {
    case 'sendToUser':
      return messaging.sendToUser(...request.args);
    case 'sendToChannel':
      return messaging.sendToChannel(...request.args);
    case 'history':
      return messaging.history(...request.args);
    case 'health':
      return messaging.health();
    case 'relayStatus':
      return (relaying ?? Promise.resolve()).then(() => relay.status());
    case 'close':
      return messaging.close();
    case 'migrationImport':
      return migration.importMessages(...request.args);
    case 'migrationHistory':
      return migration.history(...request.args);
    case 'migrationPutUserData':
      return migration.putUserData(...request.args);
    case 'migrationUserData':
      return migration.userData(...request.args);
    case 'migrationPutGroup':
      return migration.putGroup(...request.args);
    case 'migrationGroup':
      return migration.group(...request.args);
    case 'migrationPutMembers':
      return migration.putMembers(...request.args);
    case 'migrationRemoveMembers':
      return migration.removeMembers(...request.args);
    case 'migrationMembers':
      return migration.members(...request.args);
  }
}

async function answer(request: WorkerRequest): Promise<void> {
  try {
    const result = await dispatch(request);
    post({ type: 'response', id: request.id, ok: true, result });
  } catch (err) {
    const error = toAdapterError(err);
    post({
      type: 'response',
      id: request.id,
      ok: false,
      error: { failure: error.failure, message: error.message, vendorCode: error.vendorCode },
    });
  }
}

port.on('message', (request: WorkerRequest) => void answer(request));
post({ type: 'ready' });

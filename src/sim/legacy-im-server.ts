import { Command, InvalidArgumentError, Option } from 'commander';
import { DATASET_SPEC_KEYS, type DatasetSpec } from './dataset/dataset-spec.js';
import { buildLegacyImServer, type LegacyImServer } from './legacy-im-app.js';
import type { WebhookPatch } from './legacy-im-webhook.js';

/** After this long, a graceful stop drops the connections still open (slow injected replies). */
const SHUTDOWN_GRACE_MS = 2_000;

interface CliOptions {
  port: number;
  host: string;
  data?: string;
  apiKey?: string;
  name: string;
  logLevel: string;
  exitWithStdin: boolean;
  seed?: number;
  users?: number;
  messages?: number;
  groups?: number;
  peersPerUser?: number;
  maxGroupSize?: number;
  webhookUrl?: string;
  webhookSecret?: string;
}

const program = new Command('legacy-im-server')
  .description(
    'A simulated incumbent REST IM server (docs/legacy-rest-contract.md) with fault injection under /_sim.\n' +
      'Once it accepts connections it prints one JSON line on stdout:\n' +
      '  {"event":"listening","port":<n>,"url":"http://127.0.0.1:<n>","name":"<name>"}\n' +
      'Logs go to stderr. SIGTERM or SIGINT closes it cleanly (the data file is synced, pending webhook events are dropped).',
  )
  .option('--port <n>', 'TCP port to listen on; 0 picks a free one', parsePort, 0)
  .option('--host <address>', 'address to bind', '127.0.0.1')
  .option('--data <file>', 'keep messages in FILE as append-only JSON lines, reloaded at start')
  .addOption(
    new Option('--api-key <key>', 'require "Authorization: Bearer <key>" on every contract route').env('LEGACY_IM_API_KEY'),
  )
  .option('--name <name>', 'name reported by /health and the listening line', 'legacy-im')
  .addOption(
    new Option('--log-level <level>', 'log level (to stderr)')
      .choices(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'])
      .default('warn'),
  )
  .option('--exit-with-stdin', 'exit when stdin closes, so a harness that dies leaves no orphan behind', false)
  .option('--seed <n>', 'seed of the generated past (the same seed and sizes give the same data)', parseCount)
  .option('--users <n>', 'users of the generated past (default 0: no generated past)', parseCount)
  .option('--messages <n>', 'messages of the generated past, over all conversations', parseCount)
  .option('--groups <n>', 'groups (channels) of the generated past', parseCount)
  .option('--peers-per-user <n>', 'each user has 2 × n possible peers (default 8)', parseCount)
  .option('--max-group-size <n>', 'members of the largest group (default 5000, at most --users)', parseCount)
  .option('--webhook-url <url>', 'POST a signed message.sent event to URL for every client send (POST /v1/client/messages)')
  .addOption(
    new Option('--webhook-secret <secret>', 'HMAC-SHA256 key of the webhook signature (x-im-signature)').env('LEGACY_IM_WEBHOOK_SECRET'),
  );

/** A non-negative integer; its range is checked with the rest of the dataset spec. */
function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

function datasetOptions(options: CliOptions): Partial<DatasetSpec> {
  const spec: Partial<DatasetSpec> = {};
  for (const key of DATASET_SPEC_KEYS) {
    const value = options[key];
    if (value !== undefined) spec[key] = value;
  }
  return spec;
}

function webhookOptions(options: CliOptions): WebhookPatch {
  const patch: WebhookPatch = {};
  if (options.webhookUrl !== undefined) patch.url = options.webhookUrl;
  if (options.webhookSecret !== undefined) patch.secret = options.webhookSecret;
  return patch;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return port;
}

/** The address clients should dial: a wildcard bind is reachable on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<CliOptions>();
  let app: LegacyImServer;
  try {
    app = buildLegacyImServer({
      apiKey: options.apiKey,
      dataFile: options.data,
      name: options.name,
      dataset: datasetOptions(options),
      webhook: webhookOptions(options),
      logger: { level: options.logLevel, stream: process.stderr },
    });
  } catch (err) {
    return fail(err);
  }

  // Handlers go in before the listening line: a harness may signal the moment it reads it.
  let closing = false;
  const stop = (why: string): void => {
    if (closing) process.exit(1); // a second signal means "now"
    closing = true;
    app.log.info({ why }, 'closing');
    setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`legacy-im-server: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (options.exitWithStdin) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin closed'));
    process.stdin.resume();
  }

  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    return fail(err);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `http://${dialHost(options.host)}:${port}`;
  process.stdout.write(JSON.stringify({ event: 'listening', port, url, name: options.name }) + '\n');
}

function fail(err: unknown): never {
  process.stderr.write(`legacy-im-server: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

await main();

import type { Command } from 'commander';
import { CliError, type AdminClient } from '../admin-client.js';
import { formatCliError, formatOutboxLine, formatStatus, formatTime, humanDuration } from '../format.js';
import { addGatewayOptions, clientFrom, examples, interruptibleSleep, parseDurationMs, wholeNumber, type CliIo, type GatewayOptions } from './shared-options.js';

interface WatchOptions extends GatewayOptions {
  interval: number;
  count?: number;
}

/** Cursor home, then clear the screen: each refresh redraws in place. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';
/** Retrying cannot fix these; anything else (gateway restarting, Redis blinking) shows and is retried. */
const FATAL_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'BAD_REPLY']);

export function registerWatchCommand(program: Command, io: CliIo): void {
  const command = program
    .command('watch')
    .description('Live status and outbox, redrawn until Ctrl-C (viewer token)')
    .option('--interval <duration>', 'time between refreshes', parseDurationMs, 1_000)
    .option('--count <n>', 'stop after this many refreshes (scripts, tests)', wholeNumber(1, 1_000_000));
  addGatewayOptions(command, { json: false })
    .addHelpText('after', `
A failed refresh (gateway restarting, Redis away) is shown and retried; a rejected token ends the watch (exit 1).
${examples(
    'cutover watch',
    'cutover watch --interval 5s',
    'cutover watch --count 1 > snapshot.txt',
  )}`)
    .action(async (options: WatchOptions) => {
      const client = clientFrom(options);
      const interrupted = new AbortController();
      const stopListening = io.onInterrupt(() => interrupted.abort());
      try {
        for (let refresh = 1; ; refresh++) {
          const frame = await renderFrame(client, options, io, interrupted.signal);
          if (interrupted.signal.aborted) break;
          io.write(`${CLEAR_SCREEN}${frame}`);
          if (options.count !== undefined && refresh >= options.count) break;
          await interruptibleSleep(options.interval, interrupted.signal);
          if (interrupted.signal.aborted) break;
        }
      } finally {
        stopListening();
      }
      if (interrupted.signal.aborted) io.write('\n');
    });
}

async function renderFrame(client: AdminClient, options: WatchOptions, io: CliIo, signal: AbortSignal): Promise<string> {
  const now = io.now();
  const header = `cutover watch  ${client.url}  every ${humanDuration(options.interval)}  ${formatTime(now)}  (Ctrl-C to stop)\n\n`;
  try {
    const [status, outbox] = await Promise.all([client.rollout(signal), client.outbox(0, signal)]);
    return `${header}${formatStatus(status, { now, url: client.url, extraRows: [['outbox', formatOutboxLine(outbox.counts)]] })}`;
  } catch (err) {
    if (signal.aborted) return '';
    if (err instanceof CliError && !FATAL_CODES.has(err.code)) return `${header}${formatCliError(err)}\nretrying every ${humanDuration(options.interval)}\n`;
    throw err;
  }
}

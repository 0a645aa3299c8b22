import type { Command } from 'commander';
import { formatOutbox } from '../format.js';
import { addGatewayOptions, clientFrom, examples, print, wholeNumber, type CliIo, type GatewayOptions } from './shared-options.js';

interface OutboxOptions extends GatewayOptions {
  deadLetters: number;
}

export function registerOutboxCommand(program: Command, io: CliIo): void {
  const command = program
    .command('outbox')
    .description('What the outbox still owes each side (writes queued, retrying, dead-lettered) and the newest dead letters (viewer token)')
    .option('--dead-letters <n>', 'dead letters to list per side (0 = counts only)', wholeNumber(0, 500), 10);
  addGatewayOptions(command)
    .addHelpText('after', `
"owed" drains by itself while the side answers; a growing number means the side is down or slow.
Dead letters gave up after the configured tries: they are kept, never dropped, for a person to look at.
${examples(
    'cutover outbox',
    'cutover outbox --dead-letters 50',
    'cutover outbox --json | jq .counts.owed',
  )}`)
    .action(async (options: OutboxOptions) => {
      const status = await clientFrom(options).outbox(options.deadLetters);
      print(io, options, status, formatOutbox);
    });
}

import { InvalidArgumentError, type Command } from 'commander';
import { formatOutbox } from '../format.js';
import { CliError } from '../admin-client.js';
import { addGatewayOptions, clientFrom, examples, parseReason, print, wholeNumber, type CliIo, type GatewayOptions } from './shared-options.js';

interface OutboxOptions extends GatewayOptions {
  deadLetters: number;
  redrive?: 'old' | 'new';
  limit: number;
  reason?: string;
}

export function registerOutboxCommand(program: Command, io: CliIo): void {
  const command = program
    .command('outbox')
    .description('What the outbox still owes each side (writes queued, retrying, dead-lettered) and the newest dead letters (viewer token)')
    .option('--dead-letters <n>', 'dead letters to list per side (0 = counts only)', wholeNumber(0, 500), 10)
    .option('--redrive <side>', 'put the dead letters of old or new back in its queue, once the cause is fixed (operator token; needs --reason)', parseSide)
    .option('--limit <n>', 'with --redrive: at most this many, oldest first', wholeNumber(1, 100_000), 1_000)
    .option('--reason <text>', 'with --redrive: why; recorded in the gateway log', parseReason);
  addGatewayOptions(command)
    .addHelpText('after', `
"owed" drains by itself while the side answers; a growing number means the side is down or slow.
Dead letters gave up after the configured tries: they are kept, never dropped, for a person to look at.
${examples(
    'cutover outbox',
    'cutover outbox --dead-letters 50',
    'cutover outbox --json | jq .counts.owed',
    'cutover outbox --redrive new --reason "token fixed; INC-91"',
  )}`)
    .action(async (options: OutboxOptions) => {
      const client = clientFrom(options);
      if (options.redrive) {
        if (!options.reason) throw new CliError('USAGE', '--redrive needs --reason', 'cutover outbox --redrive new --reason "why"', 2);
        const reply = await client.redrive(options.redrive, options.limit, options.reason);
        print(io, options, reply, (r) => `redriven: ${r.redriven} dead letters of ${r.side} are queued again; watch them drain with cutover outbox\n`);
        return;
      }
      const status = await client.outbox(options.deadLetters);
      print(io, options, status, formatOutbox);
    });
}

function parseSide(text: string): 'old' | 'new' {
  if (text !== 'old' && text !== 'new') throw new InvalidArgumentError(`takes old or new; got ${JSON.stringify(text)}`);
  return text;
}

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatAudit } from '../format.js';
import { addGatewayOptions, clientFrom, examples, print, wholeNumber, type CliIo, type GatewayOptions } from './shared-options.js';

interface HistoryOptions extends GatewayOptions {
  limit: number;
  before?: string;
}

function parseAuditId(text: string): string {
  if (!/^\d+-\d+$/.test(text)) throw new InvalidArgumentError('expected an audit entry id like 1764271923000-0 (printed after "more:")');
  return text;
}

export function registerHistoryCommand(program: Command, io: CliIo): void {
  const command = program
    .command('history')
    .description('The audit log, newest first: when, who (role), what, before → after, why (viewer token)')
    .option('--limit <n>', 'entries to show', wholeNumber(1, 500), 20)
    .option('--before <id>', 'only entries older than this id (page on with the id after "more:")', parseAuditId);
  addGatewayOptions(command)
    .addHelpText('after', examples(
      'cutover history',
      'cutover history --limit 100',
      'cutover history --before 1764271923000-0',
      'cutover history --json | jq \'.entries[] | select(.action == "rollback")\'',
    ))
    .action(async (options: HistoryOptions) => {
      const page = await clientFrom(options).audit({ limit: options.limit, before: options.before });
      print(io, options, page, formatAudit);
    });
}

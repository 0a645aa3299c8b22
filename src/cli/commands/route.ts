import type { Command } from 'commander';
import { formatRoute } from '../format.js';
import { addGatewayOptions, clientFrom, examples, print, type CliIo, type GatewayOptions } from './shared-options.js';

export function registerRouteCommand(program: Command, io: CliIo): void {
  const command = program
    .command('route')
    .argument('<userId>', 'the user to look up')
    .description("Which side a user's app logs into and why: cohort, bucket, eligibility (the same answer sends use). Sends CUTOVER_TOKEN: an operator token, or a service token from api.tokens; a gateway with Redis requires one");
  addGatewayOptions(command)
    .addHelpText('after', examples(
      'cutover route alice',
      'cutover route alice --json',
    ))
    .action(async (userId: string, options: GatewayOptions) => {
      const route = await clientFrom(options).route(userId);
      print(io, options, route, formatRoute);
    });
}

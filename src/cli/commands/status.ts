import type { Command } from 'commander';
import { costRows } from '../cost-format.js';
import { formatStatus } from '../format.js';
import { addGatewayOptions, clientFrom, examples, print, type CliIo, type GatewayOptions } from './shared-options.js';

export function registerStatusCommand(program: Command, io: CliIo): void {
  const command = program
    .command('status')
    .description('Where the rollout stands: stage, percent, rollback, plan step and bake timer, state version (viewer token)');
  addGatewayOptions(command)
    .addHelpText('after', examples(
      'cutover status',
      'cutover status --url http://gateway-1:8080',
      'cutover status --json | jq .position.bakeRemainingMs',
    ))
    .action(async (options: GatewayOptions) => {
      const client = clientFrom(options);
      // The usage report is a second call: a gateway that cannot answer it still shows the rollout.
      const [status, usage] = await Promise.all([client.rollout(), client.usage().catch(() => undefined)]);
      print(io, options, status, (reply) => formatStatus(reply, { now: io.now(), url: client.url, extraRows: usage ? costRows(usage) : [] }));
    });
}

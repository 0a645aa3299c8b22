import type { Command } from 'commander';
import { formatCost } from '../cost-format.js';
import { addGatewayOptions, clientFrom, examples, print, type CliIo, type GatewayOptions } from './shared-options.js';

export function registerCostCommand(program: Command, io: CliIo): void {
  const command = program
    .command('cost')
    .description("What each side was given this month in its billing unit, and the month-end bill at the current rate and at the plan's steps (viewer token)");
  addGatewayOptions(command)
    .addHelpText('after', `
Units follow each side's price table (billing.old, billing.new in config): "message" counts one per
message; "rtm-1kb" counts Agora RTM's 1 KB units, the send and each receive apart. Dual-writing puts
every message on both sides: the steps show the bill with it on and off.
${examples('cutover cost', 'cutover cost --json | jq .sides.new.projection.monthEnd.total')}`)
    .action(async (options: GatewayOptions) => {
      const report = await clientFrom(options).usage();
      print(io, options, report, formatCost);
    });
}

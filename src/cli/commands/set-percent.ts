import type { Command } from 'commander';
import { formatChange } from '../format.js';
import {
  addChangeOptions, addGatewayOptions, clientFrom, examples, parsePercent, print, requireReasonWhenForced, type CliIo, type GatewayOptions,
} from './shared-options.js';

interface SetPercentOptions extends GatewayOptions {
  force?: boolean;
  reason?: string;
  expectedVersion?: number;
}

export function registerSetPercentCommand(program: Command, io: CliIo): void {
  const command = program
    .command('set')
    .argument('<percent>', 'share of eligible users on new in canary, 0..100 in steps of 0.01', parsePercent)
    .description("Set the rollout percent directly (operator token). Raising only adds users, waits for the current step's bake and stops at the next plan step; lowering (users back to old), skipping or hurrying need --force --reason");
  addGatewayOptions(addChangeOptions(command, 'allow lowering the percent, skipping a plan step, or raising before the bake is done'))
    .addHelpText('after', examples(
      'cutover set 5',
      'cutover set 0.25 --reason "first users from the beta list"',
      'cutover set 1 --force --reason "p99 on new doubled at 5 %"',
      'cutover set 10 --expected-version 12   # refuses if someone changed the state since v12',
    ))
    .action(async (percent: number, options: SetPercentOptions, self: Command) => {
      requireReasonWhenForced(self, options);
      const reply = await clientFrom(options).setPercent(percent, { force: options.force, reason: options.reason, expectedVersion: options.expectedVersion });
      print(io, options, reply, formatChange);
    });
}

import type { Command } from 'commander';
import { formatChange } from '../format.js';
import {
  addChangeOptions, addGatewayOptions, clientFrom, examples, print, requireReasonWhenForced, type CliIo, type GatewayOptions,
} from './shared-options.js';

interface StepOptions extends GatewayOptions {
  force?: boolean;
  reason?: string;
  expectedVersion?: number;
}

export function registerStepCommand(program: Command, io: CliIo): void {
  const command = program
    .command('step')
    .description("Move to the plan's next percent once the current step has baked (operator token; canary stage only)");
  addGatewayOptions(addChangeOptions(command, "skip the rest of the current step's bake"))
    .addHelpText('after', `
The plan (config plan.steps) lists the percents and how long each must bake; cutover status
shows the current step, the bake timer and the next percent.
${examples(
    'cutover status          # "step 5 % baking 40m of 1h, next 10 %"',
    'cutover step',
    'cutover step --force --reason "bake done on the staging fleet; CAB-1234"',
  )}`)
    .action(async (options: StepOptions, self: Command) => {
      requireReasonWhenForced(self, options);
      const reply = await clientFrom(options).step({ force: options.force, reason: options.reason, expectedVersion: options.expectedVersion });
      print(io, options, reply, formatChange);
    });
}

import { Argument, type Command } from 'commander';
import type { Stage } from '../admin-client.js';
import { formatChange } from '../format.js';
import {
  addChangeOptions, addGatewayOptions, clientFrom, examples, print, requireReasonWhenForced, type CliIo, type GatewayOptions,
} from './shared-options.js';

interface StageOptions extends GatewayOptions {
  force?: boolean;
  reason?: string;
  expectedVersion?: number;
}

const STAGES: Stage[] = ['off', 'shadow', 'canary', 'complete'];

export function registerStageCommand(program: Command, io: CliIo): void {
  const command = program
    .command('stage')
    .addArgument(new Argument('<stage>', 'the stage to move to').choices(STAGES))
    .description('Move the stage one step forward, or back with --force --reason (operator token)');
  addGatewayOptions(addChangeOptions(command, 'allow going back a stage'))
    .addHelpText('after', `
Stages, in order (forward moves go one at a time):
  off       old only
  shadow    old is primary, new gets every write (test new with real traffic, no user sees it)
  canary    the percent's cohort is on new, old gets every write (cutover step / set move the percent)
  complete  new only (needs the percent at 100 first)
To send everyone back to old at once, do not go back a stage: cutover rollback --reason "..."
${examples(
    'cutover stage shadow',
    'cutover stage canary',
    'cutover stage complete',
    'cutover stage shadow --force --reason "new side drops channel messages; fix first"',
  )}`)
    .action(async (stage: Stage, options: StageOptions, self: Command) => {
      requireReasonWhenForced(self, options);
      const reply = await clientFrom(options).setStage(stage, { force: options.force, reason: options.reason, expectedVersion: options.expectedVersion });
      print(io, options, reply, formatChange);
    });
}

import type { Command } from 'commander';
import { formatChange } from '../format.js';
import {
  addChangeOptions, addGatewayOptions, clientFrom, examples, parsePercent, print, type CliIo, type GatewayOptions,
} from './shared-options.js';

interface ResumeOptions extends GatewayOptions {
  percent?: number;
  reason?: string;
  expectedVersion?: number;
}

export function registerResumeCommand(program: Command, io: CliIo): void {
  const command = program
    .command('resume')
    .description('End a rollback: back to the stage and percent it interrupted, or a lower percent (operator token)')
    .option('--percent <percent>', 'resume at this percent instead (at most the one rolled back from)', parsePercent);
  addGatewayOptions(addChangeOptions(command))
    .addHelpText('after', `
Nothing is lost by a rollback: dual-writes went on, so both sides hold every message.
Resuming when not rolled back changes nothing (exit 0, with a note).
${examples(
    'cutover status                                   # "resume to  canary 5 %"',
    'cutover resume --reason "vendor fixed the 5xx (INC-88)"',
    'cutover resume --percent 1 --reason "start small again"',
  )}`)
    .action(async (options: ResumeOptions) => {
      const reply = await clientFrom(options).resume({ percent: options.percent, reason: options.reason, expectedVersion: options.expectedVersion });
      print(io, options, reply, formatChange);
    });
}

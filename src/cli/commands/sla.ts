import type { Command } from 'commander';
import { formatSla } from '../sla-format.js';
import { addGatewayOptions, clientFrom, examples, print, type CliIo, type GatewayOptions } from './shared-options.js';

export function registerSlaCommand(program: Command, io: CliIo): void {
  const command = program
    .command('sla')
    .description("Each side's month against its SLA: availability and latency measured from Cutover's sends, the error budget left, failures by class, the worst hours (viewer token)");
  addGatewayOptions(command)
    .addHelpText('after', `
The SLA comes from config (sla.old, sla.new: availability in percent, latency, latencyPercent).
Timeouts, unavailability and 5xx count as failures; a 4xx is the caller's and does not.
The report is what a credit claim needs: downtime, failed sends by class, and the worst hours.
${examples('cutover sla', 'cutover sla --json | jq .sides.old.sla.errorBudget')}`)
    .action(async (options: GatewayOptions) => {
      const report = await clientFrom(options).usage();
      print(io, options, report, formatSla);
    });
}

import { Option, type Command } from 'commander';
import { CliError } from '../admin-client.js';
import type { ReshardRequest } from '../reshard.js';
import { examples, parseReason, print, wholeNumber, type CliIo } from './shared-options.js';
import { parseRedisUrl } from './rollback.js';

type ReshardOptions = Omit<ReshardRequest, 'onProgress'> & { json?: boolean };

export function registerReshardCommand(program: Command, io: CliIo): void {
  program
    .command('reshard')
    .description('Change the outbox shard count (redis.shards): moves every owed write and dedupe record to its new shard. Every gateway must be stopped (straight to Redis)')
    .requiredOption('--redis <url>', 'the Redis the gateways use (redis://, redis+sentinel://, redis+cluster://)', parseRedisUrl)
    .requiredOption('--to <n>', 'the new shard count', wholeNumber(1, 1024))
    .option('--from <n>', 'the count the gateways ran with, only when Redis does not say (gateways older than the stored count)', wholeNumber(1, 1024))
    .addOption(new Option('--migration <name>', 'the migration whose outbox to move').env('CUTOVER_MIGRATION').default('default'))
    .requiredOption('--reason <text>', 'why; printed in the report', parseReason)
    .option('--force', 'move even though a gateway marked itself running in the last 15 s (only when you know it is gone)')
    .addOption(new Option('--timeout <ms>', 'give up reaching Redis after this many ms').default(5_000).argParser(Number))
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
Gateways refuse to start when their redis.shards differs from the count stored in Redis, so a
rolling deploy cannot split the outbox. To change it:
  1. stop every gateway (they finish their writes on SIGTERM);
  2. cutover reshard --redis URL --to N --reason "...": moves what is owed, checks nothing was
     left behind or misplaced, then stores N (a run that stops midway is simply run again);
  3. start the gateways with redis.shards N (CUTOVER_REDIS_SHARDS=N).
Exit 0 when the move checked out; 1 when it was refused or did not check out (the report says why).
${examples(
    'cutover reshard --redis redis://10.0.0.5:6379 --to 8 --reason "more Redis CPU; CHG-31"',
    'CUTOVER_MIGRATION=eu cutover reshard --redis redis+cluster://10.0.0.5:7000 --to 16 --reason "..." --json',
  )}`)
    .action(async (options: ReshardOptions) => {
      // Loaded only here: Redis costs every other command startup time.
      const { reshard } = await import('../reshard.js');
      const report = await reshard({ ...options, onProgress: (line) => { if (!options.json) io.write(`${line}\n`); } });
      print(io, options, report, (r) => `${r.summary}\n`);
      if (!report.ok) throw new CliError('RESHARD_INCOMPLETE', report.summary, 'run it again (it resumes); if it keeps failing, keep the gateways on the old count and look at the counts above', 1);
    });
}

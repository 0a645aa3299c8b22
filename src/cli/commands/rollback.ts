import { userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { checkRedisUrl } from '../../infra/redis/redis-url.js';
import { formatBreakGlassRollback, formatChange } from '../format.js';
import { addGatewayOptions, clientFrom, examples, parseReason, print, type CliIo, type GatewayOptions } from './shared-options.js';

interface RollbackOptions extends GatewayOptions {
  reason: string;
  redis?: string;
  migration: string;
  actor?: string;
  recreate?: boolean;
}

/** Options that only mean something when writing to Redis directly. */
const BREAK_GLASS_ONLY = ['migration', 'actor', 'recreate'] as const;

export function registerRollbackCommand(program: Command, io: CliIo): void {
  const command = program
    .command('rollback')
    .description('Send everyone to old now, on every gateway within a second; dual-writes go on, so nothing is lost (operator token, or --redis)')
    .requiredOption('--reason <text>', 'why; recorded in the audit log and shown by cutover status', parseReason)
    .addOption(new Option('--redis <url>', 'break glass: write the rollback straight to Redis, for when no gateway answers').argParser(parseRedisUrl))
    .addOption(new Option('--migration <name>', 'with --redis: the migration whose state to roll back').env('CUTOVER_MIGRATION').default('default'))
    .addOption(new Option('--actor <name>', 'with --redis: who you are, for the audit log (default: $USER)'))
    .addOption(new Option('--recreate', 'with --redis: if Redis holds no state at all, write a fresh rolled-back one (needed only when no running gateway saw the old one go)'));
  addGatewayOptions(command)
    .addHelpText('after', `
Through a gateway (the usual way) this needs an operator token in CUTOVER_TOKEN.

Break glass: when no gateway answers, --redis writes the rollback into Redis itself, with the
gateways' own compare-and-set script and audit entry (role "break-glass"). No token is needed:
access to Redis is the credential. Running gateways flip within a second (pub/sub, and a re-read
every second); gateways that start later read the rolled-back state.

If Redis lost its data (a crash without its AOF, a FLUSHALL), the state record is gone. Running
gateways keep routing by the last state they had and note the loss in Redis; break glass then
writes a fresh record, rolled back at shadow (everyone on old, new still gets every write), which
every gateway adopts within a second. With no gateway running to note the loss, add --recreate.

Rolling back when already rolled back changes nothing (exit 0, with a note saying by whom and when).
${examples(
    'cutover rollback --reason "new side 5xx at 12 %; INC-88"',
    'cutover rollback --redis redis://10.0.0.5:6379 --reason "gateways down; INC-90"',
    'CUTOVER_MIGRATION=eu cutover rollback --redis rediss://:PASSWORD@redis.eu:6380 --reason "..." --actor alice',
  )}`)
    .action(async (options: RollbackOptions, self: Command) => {
      const redisUrl = options.redis;
      if (redisUrl) {
        // Loaded only here: Redis and the state machinery cost every other command startup time.
        const { breakGlassRollback, redactUrl } = await import('../break-glass.js');
        const outcome = await breakGlassRollback({
          redisUrl, migration: options.migration, reason: options.reason, timeoutMs: options.timeout,
          actor: options.actor ?? process.env.USER ?? loginName(), recreate: options.recreate,
        });
        print(io, options, outcome, (reply) => formatBreakGlassRollback(reply, redactUrl(redisUrl)));
        return;
      }
      for (const name of BREAK_GLASS_ONLY) {
        if (self.getOptionValueSource(name) === 'cli') self.error(`--${name} only applies with --redis`, { exitCode: 2, code: 'cutover.breakGlassOnly' });
      }
      const reply = await clientFrom(options).rollback(options.reason);
      print(io, options, reply, (change) => change.changed
        ? `${formatChange(change)}every gateway routes everyone to old within 1 s; when it is fixed: cutover resume --reason "..."\n`
        : formatChange(change));
    });
}

export function parseRedisUrl(text: string): string {
  try {
    return checkRedisUrl(text);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message} (e.g. redis://HOST:6379, redis+sentinel://HOST:26379/mymaster, redis+cluster://HOST:7000)`);
  }
}

/** The login name, when the system knows one (containers often have no passwd entry). */
function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

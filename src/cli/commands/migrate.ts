import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { AdminClient, CliError, type MigrationStatus } from '../admin-client.js';
import { humanDuration } from '../format.js';
import { formatMigrationPlan, formatMigrationReport, formatMigrationStatus, progressLine } from '../migration-format.js';
import {
  addGatewayOptions, clientFrom, examples, interruptibleSleep, parseDurationMs, parseReason, print, wholeNumber, type CliIo, type GatewayOptions,
} from './shared-options.js';

interface FollowOptions extends GatewayOptions {
  detach?: boolean;
  interval: number;
  reason?: string;
}

/** Walking the old side's listings takes a while on a big install: plan and start wait this long at least. */
const PLANNING_TIMEOUT_MS = 120_000;
/** Without a terminal, one progress line this often (logs of a CI job, a cron). */
const LINE_EVERY_MS = 10_000;
/** `cutover migrate verify` exits with this when differences remain, so a script can tell them from a failure. */
export const EXIT_MISMATCHES = 3;

export function registerMigrateCommand(program: Command, io: CliIo): void {
  const migrate = program
    .command('migrate')
    .description("Move what users already have (history, contacts, blocklist, settings, read positions, groups) from old to new, and prove it arrived")
    .addHelpText('after', `
A job runs on every gateway at once: any instance takes the next user, group or conversation, and
a stopped instance's work is taken over once its lease ends. Progress is checkpointed per page, so
a job survives restarts. Messages sent meanwhile are dual-written already; the copy keeps one
copy of each id. Order: users (profile, contacts, blocklist, settings, read positions), groups
(with members), then conversations (history).

With migrate.requireVerified on, a user enters the new cohort only after a verify found all of
their data equal on both sides (cutover route USER says why a user is held back).
${examples(
    'cutover migrate plan',
    'cutover migrate start --reason "backfill before canary; CHG-12"',
    'cutover migrate status --watch',
    'cutover migrate verify --redrive --reason "verify and repair"',
    'cutover migrate report --limit 50',
  )}`);

  const plan = migrate.command('plan').description('What a copy would move, what each side allows, and how long the limits make it take (viewer token)');
  addGatewayOptions(plan).addHelpText('after', examples('cutover migrate plan', 'cutover migrate plan --json | jq .estimate')).action(async (options: GatewayOptions) => {
    print(io, options, await planningClient(options).migrationPlan(), formatMigrationPlan);
  });

  const start = migrate.command('start').description('Start copying old → new on every gateway and follow it to the end (operator token)');
  addFollowOptions(start);
  start.addHelpText('after', `
Walks the old side's listings first (its plan), then every gateway copies; exit 0 once done.
${examples('cutover migrate start --reason "backfill; CHG-12"', 'cutover migrate start --detach --reason "backfill" && cutover migrate status --watch')}`);
  start.action(async (options: FollowOptions) => {
    const reason = needReason(options, 'start');
    const status = await planningClient(options).migrationStart({ mode: 'copy', reason });
    await follow(io, clientFrom(options), options, status);
  });

  const verify = migrate.command('verify')
    .description('Compare every user, group and conversation on both sides; with --redrive, repair what differs. Exits 3 if differences remain (operator token)')
    .option('--redrive', "write old's version of whatever differs, then compare it again")
    .option('--settle <duration>', 'leave messages younger than this to the next verify (they may still be on their way)', parseSettle, '10s');
  addFollowOptions(verify);
  verify.addHelpText('after', `
Exit 0: both sides hold the same, and every user it listed is verified. Exit 3: differences remain.
${examples('cutover migrate verify --reason "prove it"', 'cutover migrate verify --redrive --reason "repair what differs"', 'cutover migrate verify --settle 0s --json --reason "nightly" | jq .counters.mismatches')}`);
  verify.action(async (options: FollowOptions & { redrive?: boolean; settle: string }) => {
    const reason = needReason(options, 'verify');
    const status = await planningClient(options).migrationStart({ mode: 'verify', redrive: options.redrive === true, settle: options.settle, reason });
    const last = await follow(io, clientFrom(options), options, status);
    const open = (last.counters.mismatches ?? 0) - (last.counters.fixed ?? 0);
    if (last.job.status === 'done' && open > 0) {
      throw new CliError('MISMATCHES', `${open} difference${open === 1 ? '' : 's'} remain between the sides`, 'cutover migrate report lists each; cutover migrate verify --redrive repairs what it can', EXIT_MISMATCHES);
    }
  });

  const status = migrate.command('status').description('The current (or last) job, fleet-wide (viewer token)')
    .option('--watch', 'follow it until it is done or Ctrl-C')
    .addOption(new Option('--interval <duration>', 'time between refreshes with --watch').argParser(parseDurationMs).default(1_000, '1s'));
  addGatewayOptions(status).addHelpText('after', examples('cutover migrate status', 'cutover migrate status --watch', 'cutover migrate status --json | jq .etaSeconds')).action(async (options: GatewayOptions & { watch?: boolean; interval: number }) => {
    const client = clientFrom(options);
    const current = await client.migrationStatus();
    if (options.watch) await follow(io, client, { ...options, detach: false }, current);
    else print(io, options, current, formatMigrationStatus);
  });

  for (const [name, verb] of [['pause', 'Pause'], ['resume', 'Resume']] as const) {
    const command = migrate.command(name)
      .description(`${verb} the job on every gateway${name === 'pause' ? ': each leaves its units at the next page, checkpointed' : ' from its checkpoints'} (operator token)`)
      .option('--reason <text>', 'why; recorded in the audit log', parseReason);
    addGatewayOptions(command).addHelpText('after', examples(`cutover migrate ${name} --reason "${name === 'pause' ? 'the vendor asked us to slow down' : 'window reopened'}"`)).action(async (options: GatewayOptions & { reason?: string }) => {
      const reason = needReason(options, name);
      const client = clientFrom(options);
      const reply = name === 'pause' ? await client.migrationPause(reason) : await client.migrationResume(reason);
      print(io, options, reply, formatMigrationStatus);
    });
  }

  const report = migrate.command('report').description("The last verify's mismatches: what differs, where, and what each side holds (viewer token)")
    .option('--offset <n>', 'skip this many', wholeNumber(0, 10_000_000), 0)
    .option('--limit <n>', 'show at most this many', wholeNumber(1, 10_000), 100);
  addGatewayOptions(report).addHelpText('after', examples('cutover migrate report', 'cutover migrate report --offset 100 --limit 100', 'cutover migrate report --json | jq \'.mismatches[] | select(.kind == "member")\'')).action(async (options: GatewayOptions & { offset: number; limit: number }) => {
    const reply = await clientFrom(options).migrationReport(options.offset, options.limit);
    print(io, options, reply, (r) => formatMigrationReport(r, options.offset));
  });
}

function addFollowOptions(command: Command): void {
  command
    .option('--reason <text>', 'why; recorded in the audit log (required)', parseReason)
    .option('--detach', 'start it and return; follow later with cutover migrate status --watch')
    .addOption(new Option('--interval <duration>', 'time between progress refreshes').argParser(parseDurationMs).default(1_000, '1s'));
  addGatewayOptions(command);
}

/** A duration, 0s included (verify everything sent until now); kept as text, the API's form. */
function parseSettle(text: string): string {
  if (parseDuration(text) === undefined) throw new InvalidArgumentError('expected a duration like 0s, 10s or 1m');
  return text;
}

function needReason(options: { reason?: string }, command: string): string {
  if (!options.reason) throw new CliError('USAGE', `migrate ${command} needs --reason`, `cutover migrate ${command} --reason "why"`, 2);
  return options.reason;
}

function planningClient(options: GatewayOptions): AdminClient {
  return new AdminClient({ baseUrl: options.url, token: options.token, timeoutMs: Math.max(options.timeout, PLANNING_TIMEOUT_MS) });
}

/**
 * Redraws the progress line until the job is done or paused (or Ctrl-C, which leaves the job
 * running), then prints the whole status, or the JSON reply with --json.
 */
async function follow(io: CliIo, client: AdminClient, options: FollowOptions, first: MigrationStatus): Promise<MigrationStatus> {
  let status = first;
  const interrupted = new AbortController();
  const stopListening = io.onInterrupt(() => interrupted.abort());
  let lastLine = 0;
  try {
    while (!options.detach && status.job.status !== 'done' && status.job.status !== 'paused' && !interrupted.signal.aborted) {
      if (!options.json) {
        if (io.interactive) io.write(`\r${progressLine(status)}\x1b[K`);
        else if (io.now() - lastLine >= LINE_EVERY_MS) {
          io.write(`${progressLine(status)}\n`);
          lastLine = io.now();
        }
      }
      await interruptibleSleep(options.interval, interrupted.signal);
      if (interrupted.signal.aborted) break;
      try {
        status = await client.migrationStatus(interrupted.signal);
      } catch (err) {
        // A gateway restarting mid-job is what checkpoints are for: keep following.
        if (!(err instanceof CliError) || err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN') throw err;
        if (!options.json) io.write(`\n${err.code}: ${err.message}; retrying in ${humanDuration(options.interval)}\n`);
      }
    }
  } finally {
    stopListening();
  }
  if (options.json) {
    io.write(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    if (io.interactive && !options.detach) io.write('\n');
    if (interrupted.signal.aborted) io.write('stopped following; the job goes on (cutover migrate status --watch)\n');
    io.write(formatMigrationStatus(status));
  }
  return status;
}

#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError } from './admin-client.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerOutboxCommand } from './commands/outbox.js';
import { registerCostCommand } from './commands/cost.js';
import { registerSlaCommand } from './commands/sla.js';
import { registerReshardCommand } from './commands/reshard.js';
import { registerResumeCommand } from './commands/resume.js';
import { registerRollbackCommand } from './commands/rollback.js';
import { registerRouteCommand } from './commands/route.js';
import { registerSetPercentCommand } from './commands/set-percent.js';
import { DEFAULT_URL, examples, type CliIo } from './commands/shared-options.js';
import { registerStageCommand } from './commands/stage.js';
import { registerStatusCommand } from './commands/status.js';
import { registerStepCommand } from './commands/step.js';
import { registerWatchCommand } from './commands/watch.js';
import { formatCliError } from './format.js';

/** The CLI's composition root: the process's streams and signals, the commands, and exit codes. */

const io: CliIo = {
  write: (text) => { process.stdout.write(text); },
  now: Date.now,
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => { process.off('SIGINT', handler); };
  },
  interactive: process.stdout.isTTY === true,
};

// `cutover history | head -3` closes stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function buildProgram(): Command {
  const program = new Command('cutover')
    .description('Operate a Cutover gateway: move users from the old messaging vendor to Agora RTM step by step, and roll back in one command.')
    .version(version)
    // Before the subcommands exist, so they inherit it: `cutover status prod` is a mistake, not a status.
    .allowExcessArguments(false)
    // Usage errors are printed once, by main(), in the same two-line form as every other error.
    .configureOutput({ outputError: () => {} })
    .addHelpText('after', `
Environment:
  CUTOVER_URL        gateway base URL (default ${DEFAULT_URL})
  CUTOVER_TOKEN      admin bearer token: a viewer token reads, an operator token changes (never printed)
  CUTOVER_MIGRATION  with rollback --redis: the migration whose state to write (default "default")

Exit codes: 0 done (also when nothing needed changing: the note says why), 1 the gateway, Redis or
the network said no, 2 the command line is wrong, 3 migrate verify left differences between the
sides. Errors print "cutover: CODE: message" on stderr, then a "  next:" line with what to do about it.

Break glass: when no gateway answers, roll back by writing to Redis directly. No token is needed
(access to Redis is the credential); running gateways follow within a second:
  cutover rollback --redis redis://HOST:6379 --reason "..."
${examples(
    `export CUTOVER_URL=http://gateway:8080 CUTOVER_TOKEN=...   # an operator token for changes`,
    'cutover status',
    'cutover stage shadow; cutover stage canary; cutover step',
    'cutover rollback --reason "new side 5xx spike; INC-88"',
    'cutover resume --reason "vendor fixed it"',
    'cutover migrate plan; cutover migrate start --reason "..."; cutover migrate verify --redrive --reason "..."',
    'cutover <command> --help',
  )}`);

  registerStatusCommand(program, io);
  registerWatchCommand(program, io);
  registerStageCommand(program, io);
  registerStepCommand(program, io);
  registerSetPercentCommand(program, io);
  registerRollbackCommand(program, io);
  registerResumeCommand(program, io);
  registerHistoryCommand(program, io);
  registerOutboxCommand(program, io);
  registerCostCommand(program, io);
  registerSlaCommand(program, io);
  registerRouteCommand(program, io);
  registerMigrateCommand(program, io);
  registerReshardCommand(program, io);

  const overrideExits = (command: Command, path: string): void => {
    command.exitOverride((err) => {
      throw usageError(err, `${path} --help`);
    });
    for (const sub of command.commands) overrideExits(sub, `${path} ${sub.name()}`);
  };
  overrideExits(program, 'cutover');
  return program;
}

/** Commander's exits as CLI errors (exit 2), except help and version, which succeed. */
function usageError(err: CommanderError, help: string): CommanderError | CliError {
  if (err.exitCode === 0) return err;
  if (err.code === 'commander.help') return new CliError('USAGE', 'no command given', 'pick a command from the list above', 2);
  return new CliError('USAGE', err.message.replace(/^error: /, ''), `${help} shows the options and examples`, 2);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return 0;
    if (err instanceof CliError) {
      process.stderr.write(formatCliError(err));
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(formatCliError({ code: 'INTERNAL', message, hint: 'a bug in the cutover CLI; report it with the command you ran' }));
    return 1;
  }
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => { stream.write('', () => resolve()); });
}

const exitCode = await main(process.argv);
// Exit once the output is out, without waiting on timers a library left behind (ioredis keeps
// one for 2 s after giving up on a Redis that never answered): an on-call waits for nothing.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);

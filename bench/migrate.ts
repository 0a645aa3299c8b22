/**
 * `npm run bench:migrate`: the migration job (copy, then verify) from a generated past served by
 * the legacy sim in a child process, into a memory side and into a second sim; each row in an
 * engine process of its own. Flags: --messages N (1e6), --sizes N,N,... (instead of --messages:
 * every row at each size), --targets memory,sim, --stores memory,redis (default memory),
 * --page-size N and --concurrency N (default: the config's migrate.pageSize and
 * migrate.concurrency), --seed N (1), --json, --prof-dir DIR (every process runs with --cpu-prof).
 * See bench/README.md. Exits 0 whatever the figures; 1 when a process fails or a copy or verify is wrong.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../src/config/load-config.js';
import type { DatasetSpec } from '../src/sim/dataset/dataset-spec.js';
import type { JobFigures } from './support/migration-job.js';
import type { Row, StoreKind, Target } from './support/migration-row.js';
import { spawnRow } from './support/row-process.js';
import { fixed, table, verdict } from './support/table.js';

const TARGETS: readonly Target[] = ['memory', 'sim'];
const STORES: readonly StoreKind[] = ['memory', 'redis'];

/** The issue's targets on this machine. */
const GOALS = { copyIntoMemory: 20_000, verify: 100_000, rssOverStartMb: 150 } as const;

/** Per million messages, so that conversations keep their sizes whatever N. */
const USERS_PER_MILLION = 2_000;
const GROUPS_PER_MILLION = 50;
const MAX_GROUP_SIZE = 2_000;

interface Options {
  sizes: number[];
  targets: Target[];
  stores: StoreKind[];
  pageSize: number;
  concurrency: number;
  seed: number;
  json: boolean;
  profileDir: string | undefined;
}

function count(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}; got ${text}`);
  return value;
}

function list<T extends string>(name: string, text: string | undefined, allowed: readonly T[], fallback: readonly T[]): T[] {
  if (text === undefined) return [...fallback];
  const items = text.split(',').map((p) => p.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${name} takes ${allowed.join('|')} (comma-separated); got ${item}`);
  return items as T[];
}

function parseOptions(defaults: Config['migrate']): Options {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' },
      sizes: { type: 'string' },
      targets: { type: 'string' },
      stores: { type: 'string' },
      'page-size': { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'prof-dir': { type: 'string' },
    },
    strict: true,
  });
  if (values.sizes !== undefined && values.messages !== undefined) throw new Error('give --messages or --sizes, not both');
  const sizes = values.sizes === undefined
    ? [count('messages', values.messages, 1_000_000)]
    : values.sizes.split(',').map((s) => count('sizes', s.trim(), 0));
  const pageSize = count('page-size', values['page-size'], defaults.pageSize);
  const concurrency = count('concurrency', values.concurrency, defaults.concurrency);
  // The config schema's bounds (a page is at most the contract's 1000), with its message naming the key.
  loadConfig({ env: {}, overrides: { 'migrate.pageSize': pageSize, 'migrate.concurrency': concurrency } });
  return {
    sizes,
    targets: list('targets', values.targets, TARGETS, TARGETS),
    stores: list('stores', values.stores, STORES, ['memory']),
    pageSize,
    concurrency,
    seed: count('seed', values.seed, 1, 0),
    json: values.json,
    profileDir: values['prof-dir'] ? resolve(values['prof-dir']) : undefined,
  };
}

function datasetFor(messages: number, seed: number): DatasetSpec {
  const users = Math.max(3, Math.round((messages * USERS_PER_MILLION) / 1_000_000));
  const groups = Math.max(1, Math.round((messages * GROUPS_PER_MILLION) / 1_000_000));
  return { seed, users, messages, groups, peersPerUser: 8, maxGroupSize: Math.max(2, Math.min(MAX_GROUP_SIZE, users)) };
}

async function main(): Promise<void> {
  const defaults = loadConfig({ env: {} }).migrate;
  const options = parseOptions(defaults);
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const rows: Row[] = [];
  for (const size of options.sizes) {
    for (const store of options.stores) {
      for (const target of options.targets) {
        const request = { dataset: datasetFor(size, options.seed), target, store, pageSize: options.pageSize, concurrency: options.concurrency, profileDir: options.profileDir };
        const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `engine-${size}-${target}-${store}.cpuprofile`] : [];
        rows.push(await spawnRow(request, nodeArgs));
      }
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine: machine(), loadAvgEnd: loadavg(), options, leaseMs: defaults.leaseTimeoutMs, goals: GOALS, rows }, null, 2)}\n`);
  } else {
    report(rows, options, defaults);
  }
  // A wrong copy or verify fails the run; slow figures do not (they are reported, not asserted).
  if (rows.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

function machine(): string {
  const cpuList = cpus();
  return `${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform} ${release()}`;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const mb = (n: number | undefined): string => (n === undefined ? '—' : fixed(n, 0));
const signedMb = (n: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(0)}` : 'n/a');
const rowName = (row: Row): string => `${int(row.size)} messages, ${row.target} target, ${row.store} store`;

/**
 * RSS the engine added over the job's start. A memory target's copy also grows by the messages it
 * stores: the heap still live after the copy and a GC (that store) is taken out.
 */
function engineGrowthMb(row: Row, job: JobFigures): number {
  const growth = job.rssPeakMb - job.rssStartMb;
  return row.target === 'memory' && job.mode === 'copy' ? growth - Math.max(0, job.heapRetainedMb) : growth;
}

function cpuUs(job: JobFigures, name: string): string {
  const seconds = job.cpuS[name];
  return seconds === undefined ? '—' : fixed((seconds / job.messages) * 1e6, 1);
}

function report(rows: Row[], options: Options, defaults: Config['migrate']): void {
  const out = (text = ''): void => {
    process.stdout.write(`${text}\n`);
  };
  const knob = (value: number, fallback: number): string => `${value}${value === fallback ? ' (config default)' : ` (config default ${fallback})`}`;
  const first = rows[0]?.dataset;
  out('# Cutover migration bench');
  out(`date:     ${new Date().toISOString()}`);
  out(`machine:  ${machine()}, load avg at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`node:     ${process.version}`);
  out(`job:      page size ${knob(options.pageSize, defaults.pageSize)}, concurrency ${knob(options.concurrency, defaults.concurrency)}, lease ${defaults.leaseTimeoutMs / 1000} s, no rate limits;`);
  out('          one MigrationRunner + MigrationControl (runner polling every 100 ms) in an engine process of its own per row;');
  out(`          store: ${options.stores.map((s) => (s === 'memory' ? 'MemoryMigrationStore' : 'RedisMigrationStore on a new redis-server (AOF everysec)')).join('; ')}`);
  out('source:   the legacy sim in a child process (127.0.0.1, no data file) serving a generated past of N messages, read through');
  out(`          HttpLegacyMigrationSide (the http-legacy side's config defaults); per million messages ${USERS_PER_MILLION} users and ${GROUPS_PER_MILLION} groups,`);
  out(`          8 peers per user, groups of up to ${MAX_GROUP_SIZE} members; seed ${options.seed}${first ? ` (first size: ${first.users} users, ${first.groups} groups)` : ''}`);
  out('targets:  memory = MemoryMigrationSide on a MemoryAdapter in the engine process; sim = a second, empty sim child (no data file)');
  out('          through HttpLegacyMigrationSide');
  out('');
  out('## Copy, then verify');
  const lines: string[][] = [[
    'messages', 'target', 'store', 'job', 'wall s', 'messages/s', 'items/s', 'rss start', 'rss peak', '+MB',
    'old sim MB', 'new sim MB', 'cpu engine', 'cpu old', 'cpu new', 'cpu redis', 'retries', 'correct',
  ]];
  for (const row of rows) {
    for (const job of [row.copy, row.verify]) {
      lines.push([
        int(row.size), row.target, row.store, job.mode, fixed(job.wallS, 1), int(job.messagesPerS), int(job.itemsPerS),
        mb(job.rssStartMb), mb(job.rssPeakMb), signedMb(job.rssPeakMb - job.rssStartMb), mb(job.peakRssMb.old), mb(job.peakRssMb.new),
        cpuUs(job, 'engine'), cpuUs(job, 'old'), cpuUs(job, 'new'), cpuUs(job, 'redis'), `${job.retries}/${job.unitFailures}`, row.problems.length === 0 ? 'yes' : 'NO',
      ]);
    }
  }
  out(table(lines));
  out('');
  out("wall s: the job's start (its plan walks the old side's listings first) to its end; items = users + groups + members + messages.");
  out('rss start, rss peak, +MB: the engine process (MB), after a full GC right before the job, and its peak sampled every 100 ms.');
  out(`old/new sim MB: each sim's peak RSS (VmHWM) ${rows.every((r) => r.copy.peakWindow === 'job') ? 'since the job started' : "over its life (it could not be reset)"}.`);
  out('cpu: µs of CPU (user + system) each process used over the job, per message. retries: side calls tried again / units put back.');
  out('');

  out('## Engine memory over the start of each job, by size (flat: it does not grow with the size)');
  const kinds = [...new Set(rows.map((r) => `${r.target}/${r.store}`))];
  const flat: string[][] = [['messages', ...kinds.flatMap((k) => [`${k} copy`, `${k} verify`])]];
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    flat.push([int(size), ...kinds.flatMap((k) => {
      const row = rows.find((r) => r.size === size && `${r.target}/${r.store}` === k);
      return row ? [signedMb(engineGrowthMb(row, row.copy)), signedMb(engineGrowthMb(row, row.verify))] : ['—', '—'];
    })]);
  }
  out(table(flat));
  out("MB of the engine process's peak RSS over the job's start. A copy into memory also stores every message in that process: its");
  out('cell is the growth less the heap still live after the copy and a full GC (the target\'s store). The growth and that store:');
  for (const row of rows.filter((r) => r.target === 'memory')) {
    out(`  ${rowName(row)}: copy peak − start ${signedMb(row.copy.rssPeakMb - row.copy.rssStartMb)} MB, the target's store ${mb(row.copy.heapRetainedMb)} MB of heap`);
  }
  out('');

  out('## Targets');
  for (const row of rows) {
    // The speed of a copy that is wrong is no figure to compare with a target.
    const judge = (pass: boolean): string => (row.problems.length > 0 ? 'WRONG' : verdict(pass));
    if (row.target === 'memory') out(`${judge(row.copy.messagesPerS >= GOALS.copyIntoMemory)}  copy into memory ≥ ${int(GOALS.copyIntoMemory)} messages/s: ${int(row.copy.messagesPerS)}  (${rowName(row)})`);
    out(`${judge(row.verify.messagesPerS >= GOALS.verify)}  verify ≥ ${int(GOALS.verify)} messages/s: ${int(row.verify.messagesPerS)}  (${rowName(row)})`);
    const worst = Math.max(engineGrowthMb(row, row.copy), engineGrowthMb(row, row.verify));
    out(`${judge(worst <= GOALS.rssOverStartMb)}  engine RSS ≤ ${GOALS.rssOverStartMb} MB over start: ${signedMb(worst)} MB  (${rowName(row)})`);
  }
  out('');

  out('## Correctness');
  for (const row of rows) {
    if (row.problems.length === 0) {
      out(`OK  ${rowName(row)}: the target holds ${int(row.held)}; the copy created ${int(row.copy.counters['messages.created'] ?? 0)};`);
      out(`    the verify found 0 mismatches over ${int(row.verify.counters['messages.verified'] ?? 0)} messages and verified ${int(row.verify.verifiedUsers)} of ${int(row.copy.expected.users)} users`);
    } else {
      out(`!!! WRONG: ${rowName(row)}`);
      for (const problem of row.problems) out(`!!!   ${problem}`);
    }
  }
  const wrong = rows.filter((r) => r.problems.length > 0).length;
  if (wrong > 0) {
    out('');
    out(`!!! ${wrong} of ${rows.length} rows copied or verified WRONG: their figures are not results (exit code 1).`);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench:migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

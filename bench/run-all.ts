/**
 * `npm run bench`: every benchmark, one after the other, in one report.
 * Flags: --duration S (8), --warmup S (2), --rounds N (3), --connections N (50), --calls N (1e6),
 * --only route,path,bare,embedded,unmetered,redis,cluster,switch (comma list; default all),
 * --cluster-shards N (3), --no-pin (no taskset), --prof-dir DIR (children run with --cpu-prof),
 * --metering-control (the metering pair as an A/A: both rows metered, so its line reads the
 * method's own error), --switch-processes N (5: gateways measured with the metering switch).
 * Exits 0 whatever the numbers (they are reported, not asserted); 1 if a server fails to start or
 * cannot answer the checks after a run (FAIL line).
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatRouteReport, runRouteDecision } from './route-decision.js';
import { PATH_MODES, formatSendPathReport, runSendPath } from './send-path.js';
import { meteringSwitchVerdict, runMeteringSwitch, type SwitchRun } from './metering-switch.js';
import { SCENARIOS, formatSendReport, profileMetering, runSendBenches, type MeteringProfile, type Scenario, type SendRow } from './send-throughput.js';
import { StartError, killAll, placement } from './support/processes.js';

type Part = Scenario | 'route' | 'path' | 'switch';
const PARTS: readonly Part[] = ['route', 'path', ...SCENARIOS, 'switch'];

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number; got ${text}`);
  return value;
}

/** wrk's -d takes whole seconds. */
function wholeSeconds(name: string, text: string | undefined, fallback: number, allowZero: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a whole number of seconds${allowZero ? ' (0 or more)' : ' (1 or more)'}, as wrk takes; got ${text}`);
  return value;
}

function parseOnly(text: string | undefined): Part[] {
  if (text === undefined) return [...PARTS];
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`--only takes ${PARTS.join('|')} (comma-separated); got ${p}`);
  return parts as Part[];
}

/** Resolves to false when a server under test failed the checks after a run (the report says which). */
async function main(): Promise<boolean> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      calls: { type: 'string' },
      only: { type: 'string' },
      'cluster-shards': { type: 'string' },
      'no-pin': { type: 'boolean' },
      'prof-dir': { type: 'string' },
      'metering-control': { type: 'boolean' },
      'switch-processes': { type: 'string' },
    },
    strict: true,
  });
  const durationS = wholeSeconds('duration', values.duration, 8, false);
  const rounds = Math.round(positive('rounds', values.rounds, 3));
  const warmupS = wholeSeconds('warmup', values.warmup, 2, true);
  const clusterShards = Math.round(positive('cluster-shards', values['cluster-shards'], 3));
  const connections = Math.round(positive('connections', values.connections, 50));
  const calls = Math.round(positive('calls', values.calls, 1_000_000));
  const only = parseOnly(values.only);
  const where = placement(values['no-pin'] !== true);
  const profileDir = values['prof-dir'] ? resolve(values['prof-dir']) : undefined;
  const meteringControl = values['metering-control'] === true;
  const switchProcesses = Math.round(positive('switch-processes', values['switch-processes'], 5));
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const log = (line: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const out = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };

  const cpuList = cpus();
  out('# Cutover benchmark');
  out(`date:     ${new Date().toISOString()}`);
  out(`machine:  ${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform} ${release()}, load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`node:     ${process.version}`);
  out(`load:     wrk (1 thread, Lua script bench/wrk/post-messages.lua), ${connections} connections, POST /v1/messages to 127.0.0.1, ${durationS} s measured per run`);
  out(`          (${warmupS} s warm-up before a server's first run, 1 s before the others); ${rounds} round(s), each running every server once`);
  out('          in a rotated order, one server at a time; same JSON body, recipients/senders cycling over 10,000 users, a unique id per request');
  out(`where:    ${where.description}`);
  if (profileDir) out(`profiles: children run with --cpu-prof into ${profileDir}`);
  if (meteringControl) out('control:  the metering pair runs metered in both rows (A/A): its line reads the method\'s own error');
  out('');

  if (only.includes('route')) {
    const report = await runRouteDecision({ calls, warmupCalls: Math.round(calls / 5), distinctIds: 100_000, log });
    out('## Route decision (in process)');
    out(formatRouteReport(report));
    out('');
  }

  if (only.includes('path')) {
    const rows = await runSendPath({ messages: 200_000, modes: PATH_MODES, log });
    out('## Send path (in process)');
    out(formatSendPathReport(rows));
    out('');
  }

  let failed = false;
  const scenarios = SCENARIOS.filter((s) => only.includes(s));
  if (scenarios.length > 0) {
    const rows: SendRow[] = [];
    let metering: MeteringProfile | undefined;
    try {
      const options = { connections, durationS, warmupS, rounds, scenarios, placement: where, clusterShards, profileDir, meteringControl, log };
      await runSendBenches(options, rows);
      if (scenarios.includes('embedded')) metering = await profileMetering(options);
    } finally {
      // On a failure, what did finish is still worth seeing (the exit code says it failed).
      failed = rows.some((r) => r.failure !== undefined);
      if (rows.length > 0) {
        out(`## POST /v1/messages throughput (${connections} connections, ${durationS} s per run, ${rounds} round${rounds === 1 ? '' : 's'})`);
        out(formatSendReport(rows, where, metering, meteringControl));
        out('');
      }
    }
  }
  if (only.includes('switch')) {
    const runs: SwitchRun[] = [];
    try {
      const options = { connections, durationS, warmupS, rounds, scenarios: ['embedded' as const], placement: where, clusterShards, log };
      await runMeteringSwitch(options, switchProcesses, runs);
    } finally {
      out(`## Metering, switched in one gateway (${switchProcesses} process${switchProcesses === 1 ? '' : 'es'} and a control, ${durationS * 2} s each)`);
      out(meteringSwitchVerdict(runs).join('\n'));
      out('');
      failed ||= runs.some((r) => r.row.failure !== undefined);
    }
  }
  // Other processes on the box skew req/s (not cpu µs/req): say how busy it was.
  out(`load avg at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return !failed;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: unknown) => {
    killAll();
    process.stderr.write(`bench failed: ${err instanceof StartError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

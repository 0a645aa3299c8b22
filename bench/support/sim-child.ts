import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { datasetArgs, type DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import type { SimStats } from '../../src/sim/legacy-im-app.js';
import { PROJECT_ROOT, StartError } from './processes.js';

const ENTRY = join(PROJECT_ROOT, 'dist/src/sim/legacy-im-server.js');
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const TAIL_CHARS = 8_192;

export interface SimChildOptions {
  name: string;
  /** The generated past it serves; none for a target that starts empty. */
  dataset?: Partial<DatasetSpec>;
  /** Node flags for the child, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export interface SimChild {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Its /_sim/stats counters (stored = every message it holds beyond the generated past). */
  stats(): Promise<SimStats>;
  /** SIGTERM (so --cpu-prof writes its profile), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The legacy IM sim as a child process on 127.0.0.1, like test/support/sim-process.ts but without a
 * data file: the bench measures the migration, not the sim's synchronous appends. Its stdin is a
 * pipe from this process (--exit-with-stdin), so it exits even if the bench is SIGKILLed.
 */
export function startSim(options: SimChildOptions): Promise<SimChild> {
  const args = [...(options.nodeArgs ?? []), ENTRY, '--port', '0', '--host', '127.0.0.1', '--name', options.name, '--exit-with-stdin', '--log-level', 'warn'];
  args.push(...datasetArgs(options.dataset));
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let tail = '';
  const keep = (chunk: string): void => {
    tail = (tail + chunk).slice(-TAIL_CHARS);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  return new Promise<SimChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new StartError(`sim ${options.name} printed no listening line within ${START_TIMEOUT_MS} ms:\n${tail}`));
    }, START_TIMEOUT_MS);
    let pending = '';
    let listening = false;
    child.stderr.setEncoding('utf8').on('data', keep);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk);
      if (listening) return;
      pending += chunk;
      const newline = pending.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      let url: unknown;
      try {
        url = (JSON.parse(pending.slice(0, newline)) as { url?: unknown }).url;
      } catch {
        url = undefined;
      }
      if (typeof url !== 'string') {
        child.kill('SIGKILL');
        reject(new StartError(`sim ${options.name} printed an unexpected first line:\n${tail}`));
        return;
      }
      listening = true;
      resolve(handle(options.name, url, child, exited));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!listening) reject(new StartError(`sim ${options.name} exited (${signal ?? code}) before listening:\n${tail}`));
    });
  });
}

function handle(name: string, url: string, child: ChildProcess, exited: Promise<void>): SimChild {
  return {
    name,
    url,
    pid: child.pid as number,
    async stats() {
      const response = await fetch(`${url}/_sim/stats`, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) throw new Error(`sim ${name} /_sim/stats answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as SimStats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The project root (dist/bench/support/ → ../../..): children run here so config/flags.json resolves. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A server could not be started or never became ready: the run fails (exit non-zero). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every child still running, at once (process exit, a signal, a failure). */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A bench that dies must not leave a server or redis-server behind holding a port.
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last few KB of its stdout and stderr, for error messages. */
  output(): string;
  /** Resolves once it exited, or null if it already has. */
  exited(): Promise<number | null>;
  /** SIGTERM (graceful, so --cpu-prof writes its profile), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const TAIL_BYTES = 8_192;

/** Spawns a child that is killed when the bench exits; its output is drained (a full pipe would stall it). */
export function spawnChild(options: SpawnOptions): Child {
  hookExit();
  const child = spawn(options.command, options.args, { cwd: PROJECT_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    child.once('error', (err) => {
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      live.delete(child);
      resolve(null);
    });
  });
  return {
    name: options.name,
    process: child,
    output: () => tail,
    exited: () => exit,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `url` until it answers 200. Fails fast if the child exits first, and after `timeoutMs`.
 * (At log level warn the gateway prints no "ready" line, so readiness is asked over HTTP.)
 */
export async function waitReady(child: Child, url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited().then(() => { exited = true; });
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) throw new StartError(`${child.name} exited before it was ready (code ${String(child.process.exitCode)}):\n${child.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      const text = await response.text();
      if (response.status === 200) return;
      last = `${response.status} ${text.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new StartError(`${child.name} not ready at ${url} within ${timeoutMs} ms (last: ${last}):\n${child.output()}`);
}

/** Where the bench runs what: the load generator and redis-server on one CPU, the server under test on the other. */
export interface Placement {
  /** CPU of wrk and every redis-server, or undefined when unpinned. */
  loadCpu: number | undefined;
  /** CPU of the server under test (the bare route or a gateway), or undefined when unpinned. */
  serverCpu: number | undefined;
  /** One line for the report: what ran where, or why nothing was pinned. */
  description: string;
}

/**
 * Pins with taskset when it works here (it needs 2 CPUs and the right to set affinity); otherwise
 * runs everything unpinned and says why, so a report never claims a placement it did not have.
 */
export function placement(pin: boolean): Placement {
  const unpinned = (why: string): Placement => ({ loadCpu: undefined, serverCpu: undefined, description: `unpinned (${why}): wrk, redis-server and the server under test share every CPU` });
  if (!pin) return unpinned('--no-pin');
  if (cpus().length < 2) return unpinned(`${cpus().length} CPU, pinning needs 2`);
  try {
    for (const cpu of ['0', '1']) execFileSync('taskset', ['-c', cpu, 'true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return unpinned(`taskset failed: ${stderr || (err as Error).message}`);
  }
  return { loadCpu: 0, serverCpu: 1, description: 'taskset: wrk and redis-server on CPU 0, the server under test on CPU 1' };
}

/** `command args` run on `cpu` through taskset (which execs it: the pid is the command's own), or as is. */
export function pinned(cpu: number | undefined, command: string, args: string[]): { command: string; args: string[] } {
  return cpu === undefined ? { command, args } : { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}

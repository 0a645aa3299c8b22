import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/**
 * What the multi-node Redis harnesses (Cluster, Sentinel) share: redis-server children that never
 * outlive the test process, temp dirs removed at exit, and small one-shot questions to a node.
 */
const START_TIMEOUT_MS = 10_000;
const ASK_TIMEOUT_MS = 1_000;
const OUTPUT_KEEP_CHARS = 16_384;

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir removed when the test process exits (or earlier, by the harness's destroy). */
export function harnessDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeHarnessDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** One redis-server child (a data node, a Cluster node or a Sentinel) on a loopback port. */
export class RedisChild {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly port: number, private readonly args: string[], readonly busPort = 0) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** Starts it and waits for PING, or fails with its output if it exits first. */
  async boot(): Promise<void> {
    const child = spawn('redis-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    const capture = (chunk: Buffer): void => { this.output = (this.output + chunk.toString()).slice(-OUTPUT_KEEP_CHARS); };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`redis-server on ${this.port} exited (${code ?? signal}):\n${this.output}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([exited, until(async () => (await ask(this.port, 'PING')) === 'PONG', START_TIMEOUT_MS, `redis-server on ${this.port} to answer PING`)]);
  }

  /** SIGSTOP / SIGCONT: a node that freezes with its connections open. */
  pause(paused: boolean): void {
    if (this.running) this.child!.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

/** One command to one node on a connection of its own, failing fast. */
export async function ask(port: number, command: string, ...args: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: ASK_TIMEOUT_MS, commandTimeout: ASK_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

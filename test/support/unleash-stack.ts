import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { CHILD_ENV, type UnleashChildSettings } from './unleash-server-main.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const UNLEASH_MAIN = fileURLToPath(new URL('./unleash-server-main.js', import.meta.url));
const LOG_LIMIT = 16_384;
/** The client spec unleash-client 6.12 announces (its SUPPORTED_SPEC_VERSION). */
const UNLEASH_CLIENT_SPEC = '5.2.0';

/** Children and temp dirs still alive; killed and removed when this process exits, however the tests ended. */
const live = new Map<ChildProcess, NodeJS.Signals>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const [child, signal] of live) child.kill(signal);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

/**
 * Spawns through `setpriv` (util-linux, always on Debian): it drops to the `postgres` user when
 * asked (PostgreSQL refuses to run as root) and then sets the parent-death signal (the kernel
 * clears it on a user switch, so the order matters), so no child outlives a test process killed hard.
 */
function spawnGuarded(
  command: string,
  args: string[],
  options: { asPostgres?: boolean; deathSignal: NodeJS.Signals; env?: NodeJS.ProcessEnv; cwd?: string; stdin?: 'pipe' | 'ignore' },
): ChildProcess {
  const user = options.asPostgres && isRoot ? ['--reuid=postgres', '--regid=postgres', '--init-groups'] : [];
  const child = spawn('setpriv', [...user, `--pdeathsig=${options.deathSignal}`, '--', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  live.set(child, options.deathSignal);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
function runToEnd(command: string, args: string[], options: { asPostgres?: boolean; cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnGuarded(command, args, { ...options, deathSignal: 'SIGKILL' });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited (${code ?? signal}):\n${out}`));
    });
  });
}

/** Signals `child` and waits for its exit, escalating to SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function makeTempDir(prefix: string, owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

function postgresOwner(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Collects a child's output, keeping the tail for error messages. */
function captureOutput(child: ChildProcess, sink: { text: string }, onText?: (text: string) => void): void {
  const take = (chunk: Buffer): void => {
    const text = chunk.toString();
    sink.text = (sink.text + text).slice(-LOG_LIMIT);
    onText?.(text);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
}

interface UnleashChild {
  child: ChildProcess;
  output: { text: string };
}

/** The Unleash child, loading unleash-server until its settings arrive on stdin. */
function spawnUnleashChild(): UnleashChild {
  const env: NodeJS.ProcessEnv = { ...process.env, SEND_TELEMETRY: 'false', [CHILD_ENV]: '1' };
  // The child is no test file: do not let it think the test runner started it.
  delete env.NODE_TEST_CONTEXT;
  const child = spawnGuarded(process.execPath, [UNLEASH_MAIN], { deathSignal: 'SIGKILL', env, stdin: 'pipe' });
  const output = { text: '' };
  captureOutput(child, output);
  return { child, output };
}

interface PostgresHandle {
  child: ChildProcess;
  dir: string;
  port: number;
  user: string;
  password: string;
  database: string;
  output: { text: string };
}

/** initdb + postgres on a free loopback port, data and socket in one temp dir; then a database and a password user. */
async function startPostgres(): Promise<PostgresHandle> {
  const dir = makeTempDir('cutover-pg-', postgresOwner());
  const data = join(dir, 'data');
  const port = await freePort();
  await runToEnd(`${PG_BIN}/initdb`, [
    '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
    '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
  ], { asPostgres: true, cwd: dir });

  const child = spawnGuarded(`${PG_BIN}/postgres`, [
    '-D', data, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    // A throwaway cluster: durability buys nothing and costs time.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  ], { asPostgres: true, deathSignal: 'SIGQUIT', cwd: dir });
  const output = { text: '' };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres not ready after 15 s:\n${output.text}`)), 15_000);
    captureOutput(child, output, () => {
      if (!output.text.includes('ready to accept connections')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code ?? signal}) before ready:\n${output.text}`));
    });
  });

  const password = randomBytes(12).toString('hex');
  const handle: PostgresHandle = { child, dir, port, user: 'unleash', password, database: 'unleash', output };
  await runToEnd(`${PG_BIN}/psql`, [
    '-X', '-q', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
    '-c', `CREATE ROLE ${handle.user} LOGIN PASSWORD '${password}'`,
    '-c', `CREATE DATABASE ${handle.database} OWNER ${handle.user}`,
  ], { asPostgres: true, cwd: dir });
  return handle;
}

/**
 * A real PostgreSQL 15 and a real unleash-server 7.5 on free loopback ports, both child processes,
 * for integration tests. Boot once per test file (`before`) and `destroy()` in `after`; a test
 * process that dies anyway takes its children along (parent-death signal) and removes its temp dir.
 */
export class UnleashStack {
  readonly adminToken = `*:*.${randomBytes(16).toString('hex')}`;
  readonly backendToken = `default:development.${randomBytes(16).toString('hex')}`;
  /** Milliseconds spent starting PostgreSQL (initdb included) and then Unleash (migrations included). */
  readonly timings = { postgresMs: 0, unleashMs: 0 };
  readonly admin: UnleashAdmin;
  private unleash: ChildProcess | undefined;
  private unleashOutput = { text: '' };

  private constructor(private readonly pg: PostgresHandle, private readonly unleashPort: number) {
    this.admin = new UnleashAdmin(this.baseUrl, this.adminToken);
  }

  /** Unleash's root: the Admin API is under `/api/admin`, `/health` here. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.unleashPort}`;
  }

  /** What unleash-client takes as `url` (the client API), used with `backendToken`. */
  get url(): string {
    return `${this.baseUrl}/api/`;
  }

  /** The tail of Unleash's and PostgreSQL's output, for a failing test's message. */
  get log(): string {
    return `--- unleash ---\n${this.unleashOutput.text}\n--- postgres ---\n${this.pg.output.text}`;
  }

  static async start(): Promise<UnleashStack> {
    const startedAt = Date.now();
    const unleashPort = await freePort();
    // Unleash takes ≈2 s to load: let it load while PostgreSQL boots.
    const early = spawnUnleashChild();
    let pg: PostgresHandle;
    try {
      pg = await startPostgres();
    } catch (err) {
      await stopChild(early.child, 'SIGKILL', 0);
      throw err;
    }
    const pgReadyAt = Date.now();
    const stack = new UnleashStack(pg, unleashPort);
    stack.timings.postgresMs = pgReadyAt - startedAt;
    try {
      await stack.startUnleash(30_000, early);
    } catch (err) {
      await stack.destroy();
      throw err;
    }
    stack.timings.unleashMs = Date.now() - pgReadyAt;
    return stack;
  }

  /** Starts Unleash (again, on the same port and database) and waits until `/health` says GOOD. */
  async startUnleash(timeoutMs = 30_000, early: UnleashChild = spawnUnleashChild()): Promise<void> {
    if (this.unleash) {
      await stopChild(early.child, 'SIGKILL', 0);
      return;
    }
    const { child, output } = early;
    this.unleash = child;
    this.unleashOutput = output;
    let exited: Error | undefined;
    child.once('exit', (code, signal) => {
      if (this.unleash === child) this.unleash = undefined;
      exited = new Error(`unleash-server exited (${code ?? signal}) before healthy:\n${this.log}`);
    });
    const settings: UnleashChildSettings = {
      db: { host: '127.0.0.1', port: this.pg.port, user: this.pg.user, password: this.pg.password, database: this.pg.database },
      port: this.unleashPort,
      adminToken: this.adminToken,
      backendToken: this.backendToken,
    };
    child.stdin!.end(JSON.stringify(settings));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw exited;
      if (await this.healthy()) return;
      if (Date.now() > deadline) throw new Error(`unleash-server not healthy after ${timeoutMs} ms:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Waits until the client API serves `flag` to SDKs so that `check` holds. Unleash memoizes that
   * answer by ETag (query hash + revision id) and bumps the revision on a ≈1 s schedule, so an SDK
   * sees a change up to a second late. The request carries unleash-client's spec header: without it
   * the query (inline segments) differs, misses the memo and would show the change before SDKs get it.
   */
  async waitUntilServed(flag: string, check: (feature: ClientFeature) => boolean, timeoutMs = 5_000): Promise<number> {
    const started = Date.now();
    const headers = { Authorization: this.backendToken, 'Unleash-Client-Spec': UNLEASH_CLIENT_SPEC };
    for (;;) {
      const response = await fetch(`${this.url}client/features`, { headers, signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        const { features } = (await response.json()) as { features: ClientFeature[] };
        const feature = features.find((f) => f.name === flag);
        if (feature && check(feature)) return Date.now() - started;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`Unleash did not serve ${flag} as expected within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops Unleash only (PostgreSQL stays): "Unleash is down". */
  async stop(): Promise<void> {
    const child = this.unleash;
    this.unleash = undefined;
    if (child) await stopChild(child, 'SIGTERM', 5_000);
  }

  /** Stops everything and removes the temp dir. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.stop();
    // SIGINT is PostgreSQL's fast shutdown: no waiting for clients.
    await stopChild(this.pg.child, 'SIGINT', 5_000);
    removeTempDir(this.pg.dir);
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (!response.ok) return false;
      const body = (await response.json()) as { health?: string };
      return body.health === 'GOOD';
    } catch {
      return false;
    }
  }
}

export type ConstraintOperator =
  | 'IN' | 'NOT_IN' | 'STR_CONTAINS' | 'STR_STARTS_WITH' | 'STR_ENDS_WITH'
  | 'NUM_EQ' | 'NUM_GT' | 'NUM_GTE' | 'NUM_LT' | 'NUM_LTE'
  | 'DATE_AFTER' | 'DATE_BEFORE' | 'SEMVER_EQ' | 'SEMVER_GT' | 'SEMVER_LT';

export interface UnleashConstraint {
  contextName: string;
  operator: ConstraintOperator;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

/** A strategy as the Admin API returns it (parameters are strings, as Unleash stores them). */
export interface FeatureStrategy {
  id: string;
  name: string;
  parameters: Record<string, string>;
  constraints: UnleashConstraint[];
  disabled?: boolean | null;
}

/** A flag as the client API serves it to SDKs. */
export interface ClientFeature {
  name: string;
  enabled: boolean;
  strategies: Array<Omit<FeatureStrategy, 'id'>>;
}

export interface FlexibleRollout {
  /** Whole percent 0..100. */
  rollout: number;
  /** Default `userId`, as Cutover buckets by user id. */
  stickiness?: string;
  /** Default the flag name, as Cutover's bucket does. */
  groupId?: string;
  constraints?: UnleashConstraint[];
}

/** The few Admin API calls the tests need, typed; throws with Unleash's answer on a non-2xx. */
export class UnleashAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly project = 'default',
  ) {}

  async createFlag(name: string, description = 'created by a Cutover test'): Promise<void> {
    await this.request('POST', `/api/admin/projects/${this.project}/features`, { name, description, type: 'release' });
  }

  async addFlexibleRollout(flag: string, rollout: FlexibleRollout, environment = 'development'): Promise<FeatureStrategy> {
    return this.request<FeatureStrategy>('POST', this.strategiesPath(flag, environment), flexibleRolloutBody(flag, rollout));
  }

  /** Replaces a strategy's whole configuration (PUT), as an operator editing it in the UI would. */
  async updateStrategy(flag: string, strategyId: string, rollout: FlexibleRollout, environment = 'development'): Promise<FeatureStrategy> {
    return this.request<FeatureStrategy>('PUT', `${this.strategiesPath(flag, environment)}/${strategyId}`, flexibleRolloutBody(flag, rollout));
  }

  async strategies(flag: string, environment = 'development'): Promise<FeatureStrategy[]> {
    return this.request<FeatureStrategy[]>('GET', this.strategiesPath(flag, environment));
  }

  async enable(flag: string, environment = 'development'): Promise<void> {
    await this.request('POST', `/api/admin/projects/${this.project}/features/${flag}/environments/${environment}/on`);
  }

  async disable(flag: string, environment = 'development'): Promise<void> {
    await this.request('POST', `/api/admin/projects/${this.project}/features/${flag}/environments/${environment}/off`);
  }

  private strategiesPath(flag: string, environment: string): string {
    return `/api/admin/projects/${this.project}/features/${flag}/environments/${environment}/strategies`;
  }

  private async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: this.token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`unleash admin ${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function flexibleRolloutBody(flag: string, rollout: FlexibleRollout): Omit<FeatureStrategy, 'id'> {
  return {
    name: 'flexibleRollout',
    parameters: { rollout: String(rollout.rollout), stickiness: rollout.stickiness ?? 'userId', groupId: rollout.groupId ?? flag },
    constraints: rollout.constraints ?? [],
  };
}

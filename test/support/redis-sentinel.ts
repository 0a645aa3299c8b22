import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisChild, ask, distinctFreePorts, harnessDir, removeHarnessDir, until } from './redis-child.js';

export interface RedisSentinelOptions {
  /** The master group the Sentinels watch (default `mymaster`). */
  masterName?: string;
  /** Replicas of the first master (default 2). */
  replicas?: number;
  /** Sentinels (default 3; the quorum is 2). */
  sentinels?: number;
  /** How long a master may stay silent before a Sentinel calls it down (default 1000 ms). */
  downAfterMs?: number;
  /** Sentinel's failover-timeout: also how soon a failed election is tried again (default 3000 ms). */
  failoverTimeoutMs?: number;
}

/** What `killMaster` took down, and how far the replicas had got just before. */
export interface MasterKill {
  port: number;
  /** When the SIGKILL was sent (ms since the epoch). */
  at: number;
  /** The master's replication offset, read just before the kill (later writes add to it). */
  masterOffset: number;
}

export interface Failover {
  from: number;
  to: number;
  /** From `since` (the kill) until a majority of Sentinels names a new master and it answers as one. */
  ms: number;
  /**
   * How much of the old master's replication stream the promoted replica had taken (its
   * `second_repl_offset` - 1): writes past it, acknowledged by the dead master, are gone.
   */
  promotedAtOffset: number;
}

const SETTLE_TIMEOUT_MS = 20_000;

/**
 * A master, its replicas and a set of Sentinels watching it, all real redis-server processes on
 * free loopback ports with append-only persistence (`everysec`) in one temp dir. Down-after and
 * failover timeouts are short, so a failover completes in a few seconds.
 */
export class RedisSentinel {
  readonly dir = harnessDir('cutover-sentinel-');
  private readonly dataNodes: RedisChild[] = [];
  private readonly sentinelNodes: RedisChild[] = [];

  private constructor(readonly masterName: string) {
  }

  /** `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,.../<name>`: what CUTOVER_REDIS_URL takes. */
  get url(): string {
    return `redis+sentinel://${this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${this.masterName}`;
  }

  get sentinelPorts(): number[] {
    return this.sentinelNodes.map((node) => node.port);
  }

  get dataPorts(): number[] {
    return this.dataNodes.map((node) => node.port);
  }

  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
    const name = options.masterName ?? 'mymaster';
    const replicas = options.replicas ?? 2;
    const ports = await distinctFreePorts(1 + replicas + (options.sentinels ?? 3));
    const [masterPort, ...rest] = ports;
    const dataPorts = [masterPort!, ...rest.slice(0, replicas)];
    const sentinelPorts = rest.slice(replicas);
    const harness = new RedisSentinel(name);
    try {
      for (const [i, port] of dataPorts.entries()) {
        const dir = join(harness.dir, `data-${port}`);
        mkdirSync(dir);
        harness.dataNodes.push(new RedisChild(port, [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
          '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
          '--protected-mode', 'no', '--loglevel', 'warning',
          // A replica that links up syncs at once, not after the default 5 s wait for more replicas.
          '--repl-diskless-sync-delay', '0',
          ...(i === 0 ? [] : ['--replicaof', '127.0.0.1', String(masterPort)]),
        ]));
      }
      await Promise.all(harness.dataNodes.map((node) => node.boot()));
      // Sentinels learn the replicas from the master's INFO when they connect: have them linked first.
      await until(async () => onlineReplicas(await ask(masterPort!, 'INFO', 'replication')) === replicas, SETTLE_TIMEOUT_MS, 'every replica to be in sync with the master');
      for (const port of sentinelPorts) {
        // Each Sentinel rewrites its own config file (what it learns, its epochs): one file each.
        const conf = join(harness.dir, `sentinel-${port}.conf`);
        writeFileSync(conf, [
          `port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${harness.dir}`, 'logfile ""',
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3_000}`,
          `sentinel parallel-syncs ${name} ${replicas}`,
          '',
        ].join('\n'));
        harness.sentinelNodes.push(new RedisChild(port, [conf, '--sentinel']));
      }
      await Promise.all(harness.sentinelNodes.map((node) => node.boot()));
      await harness.settled();
    } catch (err) {
      await harness.destroy();
      throw err;
    }
    return harness;
  }

  /** The master's port, as the first Sentinel that answers names it. */
  async masterPort(): Promise<number> {
    let last: unknown;
    for (const port of this.sentinelPorts) {
      try {
        const addr = await ask(port, 'SENTINEL', 'get-master-addr-by-name', this.masterName) as [string, string] | null;
        if (addr) return Number(addr[1]);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no Sentinel names a master for ${this.masterName} (${String(last)})`);
  }

  /** SIGKILL to the current master: it gets no chance to replicate or fsync anything more. */
  async killMaster(): Promise<MasterKill> {
    const port = await this.masterPort();
    const masterOffset = Number(/master_repl_offset:(\d+)/.exec(await ask(port, 'INFO', 'replication') as string)?.[1]);
    const at = Date.now();
    await this.node(port).signal('SIGKILL');
    return { port, at, masterOffset };
  }

  /** `SENTINEL FAILOVER`: a failover the Sentinels run with the master still up, as for maintenance. */
  async requestFailover(): Promise<{ port: number; at: number }> {
    const port = await this.masterPort();
    const at = Date.now();
    await ask(this.sentinelPorts[0]!, 'SENTINEL', 'failover', this.masterName);
    return { port, at };
  }

  /** ROLE of a data node (`master`, `slave`), or undefined when it does not answer. */
  async role(port: number): Promise<string | undefined> {
    return ask(port, 'ROLE').then((reply) => String((reply as unknown[])[0]), () => undefined);
  }

  /**
   * Waits (bounded) until a majority of Sentinels names a master other than `from` and that node
   * answers ROLE as a master.
   */
  async waitForFailover(from: number, since = Date.now(), timeoutMs = 20_000): Promise<Failover> {
    let to = 0;
    await until(async () => {
      const named = await Promise.all(this.sentinelPorts.map((port) => ask(port, 'SENTINEL', 'get-master-addr-by-name', this.masterName).then((a) => Number((a as [string, string])[1]), () => 0)));
      const moved = named.filter((port) => port !== 0 && port !== from);
      if (moved.length * 2 <= named.length || moved.some((port) => port !== moved[0])) return false;
      const role = await ask(moved[0]!, 'ROLE').catch(() => undefined) as [string] | undefined;
      if (role?.[0] !== 'master') return false;
      to = moved[0]!;
      return true;
    }, timeoutMs, `the Sentinels to promote a replica of ${from}:\n${this.sentinelNodes.map((n) => n.log).join('\n')}`);
    const ms = Date.now() - since;
    const info = await ask(to, 'INFO', 'replication') as string;
    const promotedAtOffset = Number(/second_repl_offset:(-?\d+)/.exec(info)?.[1]) - 1;
    return { from, to, ms, promotedAtOffset };
  }

  /** Waits until every Sentinel sees every replica of the current master and enough Sentinels to fail over. */
  async settled(timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
    const master = await this.masterPort();
    const replicas = this.dataNodes.filter((node) => node.running && node.port !== master).length;
    await until(async () => {
      for (const port of this.sentinelPorts) {
        const quorum = await ask(port, 'SENTINEL', 'ckquorum', this.masterName).catch(() => '');
        if (!String(quorum).startsWith('OK')) return false;
        const known = await ask(port, 'SENTINEL', 'replicas', this.masterName) as unknown[][];
        const healthy = known.filter((fields) => !/s_down|disconnected/.test(field(fields, 'flags')));
        if (healthy.length < replicas) return false;
        if ((await ask(port, 'SENTINEL', 'sentinels', this.masterName) as unknown[]).length < this.sentinelPorts.length - 1) return false;
      }
      return true;
    }, timeoutMs, `every Sentinel to see ${replicas} replicas and its peers`);
  }

  /** Every process's recent output, for assertion messages. */
  get log(): string {
    return [...this.dataNodes, ...this.sentinelNodes].map((node) => `--- ${node.port}\n${node.log}`).join('\n');
  }

  /** Kills everything (SIGKILL: the data is a test's) and removes the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all([...this.sentinelNodes, ...this.dataNodes].map((node) => node.signal('SIGKILL')));
    removeHarnessDir(this.dir);
  }

  private node(port: number): RedisChild {
    const node = this.dataNodes.find((n) => n.port === port);
    if (!node) throw new Error(`no data node of this harness listens on ${port}`);
    return node;
  }
}

/** One command on a short-lived connection that neither queues nor retries. */
function onlineReplicas(info: unknown): number {
  return (String(info).match(/^slave\d+:.*state=online/gm) ?? []).length;
}

/** A field of a SENTINEL REPLICAS entry (a flat name, value, name, value ... list). */
function field(fields: unknown[], name: string): string {
  const at = fields.indexOf(name);
  return at < 0 ? '' : String(fields[at + 1]);
}

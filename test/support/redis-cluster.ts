import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RedisChild, ask, distinctFreePorts, harnessDir, removeHarnessDir, until } from './redis-child.js';

export interface RedisClusterOptions {
  /** cluster-node-timeout: how long a silent master stays up in the others' eyes (default 1000 ms). */
  nodeTimeoutMs?: number;
  /** Past this the servers are killed and the temp dir removed even if `destroy` never ran (default 10 min). */
  lifetimeMs?: number;
}

/** One redis-server of the Cluster: its client port, its cluster bus port, and whether it still runs. */
export interface ClusterNode {
  readonly port: number;
  readonly busPort: number;
  readonly running: boolean;
}

/** What `kill` did: the master it took down, the replica now serving its slots, and how long that took. */
export interface ClusterFailover {
  killed: ClusterNode;
  promoted: ClusterNode;
  ms: number;
}

const MASTERS = 3;
const CREATE_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * A real Redis Cluster on free loopback ports: three masters with one replica each, created by
 * `redis-cli --cluster create`, append-only persistence (`everysec`) in one temp dir. The node
 * timeout is short and any replica may fail over, so a SIGKILLed master's replica takes over in
 * a few seconds.
 */
export class RedisCluster {
  readonly dir = harnessDir('cutover-cluster-');
  private readonly processes: RedisChild[] = [];
  private watchdog: ChildProcess | undefined;

  private constructor(private readonly options: RedisClusterOptions) {
  }

  /** `redis+cluster://127.0.0.1:P1,...`: every node as a seed, what CUTOVER_REDIS_URL takes. */
  get url(): string {
    return `redis+cluster://${this.processes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  get nodes(): readonly ClusterNode[] {
    return this.processes;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const cluster = new RedisCluster(options);
    try {
      // The bus port is set, not port + 10000, which may be past 65535 for an ephemeral port.
      const ports = await distinctFreePorts(MASTERS * 2 * 2);
      for (let i = 0; i < MASTERS * 2; i++) {
        const [port, busPort] = [ports[i * 2]!, ports[i * 2 + 1]!];
        const dir = join(cluster.dir, `node-${port}`);
        mkdirSync(dir);
        cluster.processes.push(new RedisChild(port, [
          '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir,
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1_000),
          // Any replica may take over, however long it was cut off: a test kills masters on purpose.
          '--cluster-replica-validity-factor', '0',
          '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
          '--protected-mode', 'no', '--loglevel', 'warning',
          '--repl-diskless-sync-delay', '0',
        ], busPort));
      }
      await Promise.all(cluster.processes.map((node) => node.boot()));
      cluster.startWatchdog();
      await createCluster(cluster.processes.map((node) => node.port));
      await cluster.settled();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** The node serving `key`'s slot as a master now, as the first live node that answers says. */
  async masterFor(key: string): Promise<ClusterNode> {
    let last: unknown;
    for (const node of this.processes.filter((n) => n.running)) {
      try {
        const slot = Number(await ask(node.port, 'CLUSTER', 'KEYSLOT', key));
        const ranges = await ask(node.port, 'CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (range) return this.node(Number(range[2][1]));
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no live node names the master of "${key}" (${String(last)})`);
  }

  /** The running masters, as each node reports its own role. */
  async masters(): Promise<ClusterNode[]> {
    const roles = await Promise.all(this.processes.map(async (node) => (node.running ? (await ask(node.port, 'ROLE').catch(() => undefined)) as [string] | undefined : undefined)));
    return this.processes.filter((_, i) => roles[i]?.[0] === 'master');
  }

  /**
   * SIGKILLs `node`, a master, and waits (bounded) until its replica serves its slots as a master
   * and every live node reports `cluster_state:ok` again.
   */
  async kill(node: ClusterNode, timeoutMs = 20_000): Promise<ClusterFailover> {
    const target = this.node(node.port);
    const role = await ask(target.port, 'ROLE') as [string];
    if (role[0] !== 'master') throw new Error(`node ${target.port} is a ${role[0]}, not a master`);
    const replicas = (await this.replicasOf(target)).map((replica) => replica.port);
    if (replicas.length === 0) throw new Error(`master ${target.port} has no replica to promote`);
    const at = Date.now();
    await target.signal('SIGKILL');
    let promoted: RedisChild | undefined;
    await until(async () => {
      for (const port of replicas) {
        const now = await ask(port, 'ROLE') as [string];
        if (now[0] === 'master') promoted = this.node(port);
      }
      return promoted !== undefined && await this.allOk();
    }, timeoutMs, `a replica of ${target.port} (${replicas.join(', ')}) to take over:\n${this.log}`);
    return { killed: target, promoted: promoted!, ms: Date.now() - at };
  }

  /** The nodes that replicate `master`, from its own CLUSTER NODES. */
  async replicasOf(master: ClusterNode): Promise<ClusterNode[]> {
    const lines = String(await ask(master.port, 'CLUSTER', 'NODES')).trim().split('\n').map((line) => line.split(' '));
    const self = lines.find((fields) => fields[2]?.includes('myself'));
    return lines.filter((fields) => fields[3] === self?.[0]).map((fields) => this.node(Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1])));
  }

  /** SIGSTOP / SIGCONT: a node that hangs (its connections stay open, nothing answers). */
  pause(node: ClusterNode, paused: boolean): void {
    this.node(node.port).pause(paused);
  }

  /** Every process's recent output, for assertion messages. */
  get log(): string {
    return this.processes.map((node) => `--- ${node.port}\n${node.log}`).join('\n');
  }

  /** Kills everything (SIGKILL: the data is a test's) and removes the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map((node) => node.signal('SIGKILL')));
    this.watchdog?.kill('SIGKILL');
    removeHarnessDir(this.dir);
  }

  /**
   * Until every node is `cluster_state:ok` and knows all six, every master counts its replica
   * online, and every replica is linked to its master, synced, and done with the AOF rewrite that follows a first sync (a replica busy with it
   * acks its first writes late, which a WAIT would report as a replica that missed them).
   */
  private async settled(): Promise<void> {
    await until(async () => {
      if (!(await this.allOk())) return false;
      for (const node of this.processes) {
        const info = String(await ask(node.port, 'INFO', 'replication'));
        if (!/^role:slave/m.test(info)) continue;
        if (!/^master_link_status:up/m.test(info) || !/^master_sync_in_progress:0/m.test(info)) return false;
        const persistence = String(await ask(node.port, 'INFO', 'persistence'));
        if (!/^aof_rewrite_in_progress:0/m.test(persistence) || !/^aof_rewrite_scheduled:0/m.test(persistence) || !/^loading:0/m.test(persistence)) return false;
      }
      const masters = await this.masters();
      if (masters.length !== MASTERS) return false;
      for (const master of masters) {
        if ((await this.replicasOf(master)).length !== 1) return false;
        if (!/^slave0:.*state=online/m.test(String(await ask(master.port, 'INFO', 'replication')))) return false;
      }
      return true;
    }, SETTLE_TIMEOUT_MS, `the cluster to settle (state ok, every replica linked):\n${this.log}`);
  }

  private async allOk(): Promise<boolean> {
    for (const node of this.processes.filter((n) => n.running)) {
      const info = String(await ask(node.port, 'CLUSTER', 'INFO'));
      if (!/^cluster_state:ok/m.test(info) || !/^cluster_slots_assigned:16384/m.test(info) || !new RegExp(`^cluster_known_nodes:${this.processes.length}`, 'm').test(info)) return false;
    }
    return true;
  }


  /**
   * A shell that kills the servers and removes the temp dir when this process goes (its stdin, a
   * pipe from here, closes even on SIGKILL) or when the lifetime runs out, whichever is first.
   */
  private startWatchdog(): void {
    const pids = this.processes.map((node) => node.pid).filter((pid) => pid !== undefined).join(' ');
    const seconds = Math.ceil((this.options.lifetimeMs ?? 600_000) / 1_000);
    const watchdog = spawn('sh', ['-c', `timeout ${seconds} cat >/dev/null; kill -9 ${pids} 2>/dev/null; rm -rf '${this.dir}'`], { stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    this.watchdog = watchdog;
  }

  private node(port: number): RedisChild {
    const node = this.processes.find((n) => n.port === port);
    if (!node) throw new Error(`no node of this cluster listens on ${port}`);
    return node;
  }
}

/** `redis-cli --cluster create`: slots split over the first three masters, one replica each. */
async function createCluster(ports: number[]): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'];
  await new Promise<void>((resolve, reject) => {
    execFile('redis-cli', args, { timeout: CREATE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err || !stdout.includes('[OK] All 16384 slots covered')) reject(new Error(`redis-cli --cluster create failed (${err?.message ?? 'no coverage'}):\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** One command on a short-lived connection that neither queues nor retries. */

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.js';
import { pinned, spawnChild, StartError, type Child } from './processes.js';

/** Calls per command name (lower case, as INFO commandstats names them). */
export type CommandCounts = Map<string, number>;

/** Per-name difference of two readings: what ran in between. */
export function commandsBetween(before: CommandCounts, after: CommandCounts): CommandCounts {
  const ran: CommandCounts = new Map();
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0) ran.set(name, delta);
  }
  return ran;
}

/** What the benches need of a Redis they started: one server or a Cluster. */
export interface RedisUnderTest {
  /** What CUTOVER_REDIS_URL takes: redis://… for one server, redis+cluster://… with every master as a seed. */
  url: string;
  /** Every redis-server process (one, or each master of the Cluster): their CPU adds up. */
  pids: Array<number | undefined>;
  /**
   * Commands the servers ran by name, summed over them from INFO commandstats: those inside Lua
   * scripts count, the INFO calls of this bench do not.
   */
  commandsProcessed(): Promise<CommandCounts>;
  destroy(): Promise<void>;
}

export interface BenchRedis extends RedisUnderTest {
  pid: number | undefined;
}

/** Production-like durability (AOF, fsync every second, no RDB), loopback only, quiet. */
function serverArgs(port: number, dir: string): string[] {
  return [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
    '--appendfsync', 'everysec', '--protected-mode', 'no', '--loglevel', 'warning',
  ];
}

/**
 * A real redis-server, on `cpu` when given (taskset).
 * Our own spawn rather than test/support's RedisServer so the bench's exit hook can kill it.
 */
export async function startRedis(cpu?: number): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-redis-'));
  const child = spawnChild({ name: 'redis-server', ...pinned(cpu, 'redis-server', serverArgs(port, dir)) });
  try {
    await ping(child, port);
  } catch (err) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.process.pid,
    pids: [child.process.pid],
    commandsProcessed: () => commandCalls(port),
    async destroy() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchCluster extends RedisUnderTest {
  /** The master serving each tag's slot, as `127.0.0.1:port` (CLUSTER KEYSLOT and CLUSTER NODES). */
  mastersOf(tags: readonly string[]): Promise<string[]>;
}

const CLUSTER_MASTERS = 3;
const CLUSTER_CREATE_TIMEOUT_MS = 30_000;
const CLUSTER_OK_TIMEOUT_MS = 15_000;

/**
 * A Redis Cluster of three masters (no replicas: the bench measures the send path, not a failover)
 * on loopback, each with the standalone server's durability and on `cpu` when given; slots split
 * by `redis-cli --cluster create`. Resolves once every master reports cluster_state:ok.
 */
export async function startRedisCluster(cpu?: number): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-cluster-'));
  const children: Child[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.all(children.map((child) => child.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The bus port is set, not port + 10000, which may be past 65535 for an ephemeral port.
    const ports = await distinctFreePorts(CLUSTER_MASTERS * 2);
    const clientPorts = ports.slice(0, CLUSTER_MASTERS);
    for (const [i, port] of clientPorts.entries()) {
      const nodeDir = join(dir, `node-${port}`);
      mkdirSync(nodeDir);
      const args = [...serverArgs(port, nodeDir), '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(ports[CLUSTER_MASTERS + i])];
      children.push(spawnChild({ name: `redis-server (cluster ${port})`, ...pinned(cpu, 'redis-server', args) }));
    }
    await Promise.all(children.map((child, i) => ping(child, clientPorts[i]!)));
    await createCluster(clientPorts);
    await clusterOk(clientPorts);
    return {
      url: `redis+cluster://${clientPorts.map((port) => `127.0.0.1:${port}`).join(',')}`,
      pids: children.map((child) => child.process.pid),
      commandsProcessed: async () => {
        const sum: CommandCounts = new Map();
        for (const counts of await Promise.all(clientPorts.map(commandCalls))) for (const [name, calls] of counts) sum.set(name, (sum.get(name) ?? 0) + calls);
        return sum;
      },
      mastersOf: (tags) => mastersOf(clientPorts[0]!, tags),
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** `redis-cli --cluster create`: the 16384 slots split over the three masters, no replicas. */
function createCluster(ports: readonly number[]): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'];
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: CLUSTER_CREATE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err || !stdout.includes('[OK] All 16384 slots covered')) reject(new StartError(`redis-cli --cluster create failed (${err?.message ?? 'slots not covered'}):\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** Until every master says cluster_state:ok, with every slot assigned and every node known. */
async function clusterOk(ports: readonly number[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_OK_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const infos = await Promise.all(ports.map((port) => command(port, 'CLUSTER INFO').catch((err: unknown) => String(err))));
    const ok = infos.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(info));
    if (ok) return;
    last = infos.join('\n');
    if (Date.now() > deadline) throw new StartError(`the Redis Cluster on ${ports.join(', ')} was not ok within ${CLUSTER_OK_TIMEOUT_MS} ms:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function mastersOf(port: number, tags: readonly string[]): Promise<string[]> {
  // CLUSTER NODES: `id ip:port@bus flags master ping pong epoch link slot-range...` per node.
  const nodes = bulk(await command(port, 'CLUSTER NODES')).trim().split('\n').map((line) => line.split(' '));
  const ranges = nodes.filter((f) => f[2]?.includes('master')).flatMap((f) => f.slice(8).map((range) => {
    const [from, to = from] = range.split('-').map(Number);
    return { from: from!, to: to!, address: f[1]!.split('@')[0]! };
  }));
  return Promise.all(tags.map(async (tag) => {
    const slot = Number(/^:(\d+)/.exec(await command(port, `CLUSTER KEYSLOT {${tag}}`))?.[1]);
    return ranges.find((r) => slot >= r.from && slot <= r.to)?.address ?? `slot ${slot}: no master`;
  }));
}

/** `calls` per command from INFO commandstats, less the INFO calls (this bench's own reads). */
async function commandCalls(port: number): Promise<CommandCounts> {
  const info = await command(port, 'INFO commandstats');
  const counts: CommandCounts = new Map();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== 'info') counts.set(match[1]!, Number(match[2]));
  return counts;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The text of a bulk string reply (`$<len>\r\n<text>\r\n`). */
function bulk(reply: string): string {
  const header = /^\$(\d+)\r\n/.exec(reply);
  return header ? reply.slice(header[0].length, header[0].length + Number(header[1])) : reply;
}

async function ping(child: Child, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited().then(() => { exited = true; });
  while (Date.now() < deadline) {
    if (exited) throw new StartError(`redis-server exited at start:\n${child.output()}`);
    try {
      if ((await command(port, 'PING')).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new StartError(`redis-server on port ${port} did not answer within ${timeoutMs} ms:\n${child.output()}`);
}

/** One inline command over a raw socket; enough for PING, INFO and CLUSTER INFO/NODES/KEYSLOT without a client library. */
async function command(port: number, line: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('redis command timed out')));
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      // A simple string, or a bulk string once its declared length has arrived.
      const bulk = /^\$(\d+)\r\n/.exec(data);
      if (!bulk ? data.endsWith('\r\n') : data.length >= bulk[0].length + Number(bulk[1]) + 2) {
        socket.end();
        resolve(data);
      }
    });
    socket.once('error', reject);
  });
}

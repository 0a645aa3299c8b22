import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.js';
import { spawnChild, StartError, type Child } from './processes.js';

export interface BenchRedis {
  url: string;
  pid: number | undefined;
  /** redis-server's own view of how many commands it ran (for ops per message). */
  commandsProcessed(): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A real redis-server with production-like durability (AOF, fsync every second, no RDB).
 * Our own spawn rather than test/support's RedisServer so the bench's exit hook can kill it.
 */
export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-redis-'));
  const child = spawnChild({
    name: 'redis-server',
    command: 'redis-server',
    args: [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'everysec', '--protected-mode', 'no', '--loglevel', 'warning',
    ],
  });
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
    commandsProcessed: async () => {
      const info = await command(port, 'INFO stats');
      const match = /total_commands_processed:(\d+)/.exec(info);
      return match ? Number(match[1]) : Number.NaN;
    },
    async destroy() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

/** One inline command over a raw socket; enough for PING and INFO without a client library. */
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

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServerOptions {
  /** Default `everysec`. */
  appendfsync?: 'everysec' | 'always';
  /** Never rewrite the AOF, so the incremental file stays one file whose size only grows (crash drills). */
  noAofRewrite?: boolean;
  /** Start as a replica of the Redis on this loopback port. */
  replicaOf?: number;
}

/** A real redis-server on a free loopback port, with append-only persistence in a temp dir. */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'cutover-redis-'));

  private constructor(readonly port: number, private readonly options: RedisServerOptions) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.boot();
    return server;
  }

  /** Starts (or restarts, on the same port and data) the server and waits until it accepts commands. */
  async boot(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
        '--appendonly', 'yes', '--appendfsync', this.options.appendfsync ?? 'everysec', '--save', '',
        ...(this.options.noAofRewrite ? ['--auto-aof-rewrite-percentage', '0'] : []),
        ...(this.options.replicaOf ? ['--replicaof', '127.0.0.1', String(this.options.replicaOf)] : []),
        '--protected-mode', 'no', '--loglevel', 'warning',
        // A replica that links up syncs at once, not after the default 5 s wait for more replicas.
        '--repl-diskless-sync-delay', '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
      // --loglevel warning hides the ready line; poll the port instead.
      void waitForPort(this.port).then(resolve, reject);
    });
  }

  /** Stops the server (SIGTERM, so the AOF is flushed) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: a crash. What the AOF holds is what Redis had written (not necessarily fsynced). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP / SIGCONT: a server that hangs (its connections stay open, nothing answers). */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** The AOF's incremental file, where every write lands (Redis 7 multi-part AOF: read from the manifest). */
  aofIncrFile(): string {
    const dir = join(this.dir, 'appendonlydir');
    const manifest = readFileSync(join(dir, 'appendonly.aof.manifest'), 'utf8');
    const incr = manifest.split('\n').filter((line) => / type i\b/.test(line)).pop();
    const name = incr?.match(/^file (\S+) /)?.[1];
    if (!name) throw new Error(`no incremental AOF file in the manifest:\n${manifest}`);
    return join(dir, name);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', (d) => { socket.destroy(); resolve(d.toString().startsWith('+PONG')); });
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A Cutover gateway as a real child process (`node dist/src/server.js`), configured by env. */
export class GatewayProcess {
  private child: ChildProcess | undefined;
  private output = '';
  url = '';
  private port = 0;

  private constructor(private readonly env: Record<string, string>) {}

  /**
   * `until: 'listening'` returns once the port is open, before the gateway is ready (flags not
   * synchronized, say); the default waits for "cutover ready".
   */
  static async start(env: Record<string, string>, options: { until?: 'listening' | 'ready' } = {}): Promise<GatewayProcess> {
    const gateway = new GatewayProcess(env);
    await gateway.boot(15_000, options.until);
    return gateway;
  }

  /** The exit code once the process has exited (after `stop()`, say); null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  get log(): string {
    return this.output.slice(-16_384);
  }

  /** Starts the process (again, on the same port after the first start) and waits for "cutover ready" (or "cutover listening"). */
  async boot(timeoutMs = 15_000, until: 'listening' | 'ready' = 'ready'): Promise<void> {
    const awaited = `"cutover ${until}"`;
    const child = spawn(process.execPath, [SERVER], {
      // Info level: the harness waits for the "cutover ready" line. No drain period unless a test
      // sets one: stopping a gateway stays as fast as its close.
      env: { ...process.env, CUTOVER_HOST: '127.0.0.1', CUTOVER_PORT: String(this.port), CUTOVER_DRAIN_PERIOD: '0s', ...this.env, CUTOVER_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway not ready after ${timeoutMs} ms:\n${this.log}`)), timeoutMs);
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        this.output += text;
        pending += text;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (!line.includes(awaited)) continue;
          const { address } = JSON.parse(line) as { address: string };
          this.url = address;
          this.port = Number(new URL(address).port);
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${code ?? signal}) before ready:\n${this.log}`));
      });
    });
  }

  /** SIGSTOP / SIGCONT: a gateway that freezes (a long GC pause, a starved VM) with its connections and leases open. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** The first service token of CUTOVER_API_TOKENS, which `request` sends to /v1 unless given another. */
  get serviceToken(): string | undefined {
    const first = this.env.CUTOVER_API_TOKENS?.split(',')[0];
    return first === undefined ? undefined : first.slice(first.indexOf(':') + 1) || undefined;
  }

  /** `token: null` sends none, even to /v1. */
  async request(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const bearer = token === undefined && path.startsWith('/v1/') ? this.serviceToken : token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (metrics): keep the text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
}

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

  static async start(env: Record<string, string>): Promise<GatewayProcess> {
    const gateway = new GatewayProcess(env);
    await gateway.boot();
    return gateway;
  }

  get log(): string {
    return this.output.slice(-16_384);
  }

  /** Starts the process (again, on the same port after the first start) and waits for "cutover ready". */
  async boot(timeoutMs = 15_000): Promise<void> {
    const child = spawn(process.execPath, [SERVER], {
      // Info level: the harness waits for the "cutover ready" line.
      env: { ...process.env, CUTOVER_HOST: '127.0.0.1', CUTOVER_PORT: String(this.port), ...this.env, CUTOVER_LOG_LEVEL: 'info' },
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
          if (!line.includes('"cutover ready"')) continue;
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

  async request(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
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

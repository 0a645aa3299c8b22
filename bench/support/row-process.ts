import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runRow, type Row, type RowRequest } from './migration-row.js';
import { PROJECT_ROOT } from './processes.js';

const ENTRY = fileURLToPath(import.meta.url);

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Runs one row in a new process (this file as its entry) and resolves with its result: a memory
 * target's million messages, or the heap a row freed but kept, would otherwise be the next row's
 * start. Its log lines pass through to this process's stderr; its stdout is the row's JSON.
 */
export function spawnRow(request: RowRequest, nodeArgs: string[] = []): Promise<Row> {
  const child = spawn(process.execPath, [...nodeArgs, ENTRY, JSON.stringify(request)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  live.add(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise<Row>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start a bench row: ${err.message}`)));
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (code !== 0) {
        reject(new Error(`bench row ${request.target}/${request.store}/${request.dataset.messages} exited ${signal ?? code}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Row);
      } catch {
        reject(new Error(`bench row ${request.target}/${request.store}/${request.dataset.messages} printed no JSON row:\n${stdout.slice(0, 2_000)}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as RowRequest;
  const log = (line: string): void => {
    process.stderr.write(`[bench:migrate ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const row = await runRow(request, log);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

if (process.argv[1] === ENTRY) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench row failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
